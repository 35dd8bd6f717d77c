import CRM
import XCTest

final class CRMEndpointTests: XCTestCase {
    func testABaseURLMustBeHTTPSUnlessInsecureIsAllowed() throws {
        let url = try CRMBaseURL("https://API.hubapi.com/", allowsInsecure: false)
        XCTAssertEqual([url.scheme, url.host, String(url.port), url.path], ["https", "api.hubapi.com", "443", ""])
        XCTAssertEqual(url.text, "https://api.hubapi.com")
        XCTAssertThrowsError(try CRMBaseURL("http://api.hubapi.com", allowsInsecure: false)) { XCTAssertEqual($0 as? CRMEndpointError, .insecure) }
        XCTAssertEqual(try CRMBaseURL("http://127.0.0.1:8123/crm-proxy/", allowsInsecure: true).text, "http://127.0.0.1:8123/crm-proxy")
        XCTAssertEqual(try CRMBaseURL("https://[::1]:9443", allowsInsecure: false).host, "::1")
        for bad in ["ftp://example.com", "https://user:secret@example.com", "https://example.com/?a=1", "https://example.com/#x",
                    "example.com", "https://", "https://exa mple.com", "https://example.com:0", "javascript:alert(1)",
                    "https://example.com%2F@evil", String(repeating: "a", count: 3000)] {
            XCTAssertThrowsError(try CRMBaseURL(bad, allowsInsecure: true), bad)
        }
    }

    func testOnlyPublicAddressesPassUnlessPrivateOnesAreAllowed() {
        let cases: [([UInt8], CRMAddressPolicy.Range)] = [
            ([8, 8, 8, 8], .public), ([104, 16, 0, 1], .public),
            ([127, 0, 0, 1], .private), ([127, 255, 1, 2], .private), ([10, 1, 2, 3], .private), ([172, 16, 0, 1], .private),
            ([172, 31, 255, 255], .private), ([172, 32, 0, 1], .public), ([192, 168, 1, 1], .private), ([169, 254, 169, 254], .private),
            ([100, 64, 0, 1], .private), ([0, 0, 0, 0], .reserved), ([224, 0, 0, 1], .reserved), ([255, 255, 255, 255], .reserved),
            ([192, 0, 2, 1], .reserved), ([198, 18, 0, 1], .reserved), ([198, 51, 100, 7], .reserved), ([198, 51, 101, 7], .public),
            (v6("0000000000000000000000000000001"), .private),                 // ::1
            (v6("00000000000000000000000000000000"), .reserved),               // ::
            (v6("fe800000000000000000000000000001"), .private),                // fe80::1
            (v6("fd000000000000000000000000000001"), .private),                // fd00::1
            (v6("ff020000000000000000000000000001"), .reserved),               // ff02::1
            (v6("00000000000000000000ffff7f000001"), .private),                // ::ffff:127.0.0.1
            (v6("00000000000000000000ffffa9fea9fe"), .private),                // ::ffff:169.254.169.254
            (v6("0064ff9b0000000000000000c0a80001"), .private),                // 64:ff9b::192.168.0.1
            (v6("26064700000000000000000000001111"), .public),                 // 2606:4700::1111
            (v6("20010db8000000000000000000000001"), .reserved),               // documentation
        ]
        for (bytes, range) in cases {
            XCTAssertEqual(CRMAddressPolicy.range(of: bytes), range, "\(bytes)")
        }
        XCTAssertFalse(CRMAddressPolicy(allowsPrivateAddresses: false).allows(.private))
        XCTAssertTrue(CRMAddressPolicy(allowsPrivateAddresses: true).allows(.private))
        XCTAssertFalse(CRMAddressPolicy(allowsPrivateAddresses: true).allows(.reserved))
    }

    func testResolutionRefusesAHostWithAnyAddressNotAllowed() throws {
        let strict = CRMAddressPolicy(allowsPrivateAddresses: false)
        for host in ["localhost", "127.0.0.1", "::1", "169.254.169.254", "0.0.0.0", "10.0.0.7"] {
            XCTAssertThrowsError(try strict.resolve(host: host, port: 443), host) { error in
                XCTAssertEqual(error as? CRMEndpointError, .addressNotAllowed)
            }
        }
        XCTAssertThrowsError(try strict.resolve(host: "no-such-host.invalid", port: 443)) { XCTAssertEqual($0 as? CRMEndpointError, .unresolvable) }
        let lenient = CRMAddressPolicy(allowsPrivateAddresses: true)
        XCTAssertEqual(try lenient.resolve(host: "127.0.0.1", port: 80), "127.0.0.1")
        XCTAssertEqual(try lenient.resolve(host: "::1", port: 80), "[0:0:0:0:0:0:0:1]")
        XCTAssertThrowsError(try lenient.resolve(host: "0.0.0.0", port: 80), "reserved stays refused")
        XCTAssertEqual(try strict.resolve(host: "8.8.8.8", port: 443), "8.8.8.8", "a public literal needs no lookup")
    }

    func v6(_ hex: String) -> [UInt8] {
        let padded = String(repeating: "0", count: 32 - hex.count) + hex
        var bytes: [UInt8] = []
        var index = padded.startIndex
        while index < padded.endIndex {
            let next = padded.index(index, offsetBy: 2)
            bytes.append(UInt8(padded[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
