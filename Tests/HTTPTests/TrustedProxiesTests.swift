import HTTP
import XCTest

/// `TrustedProxies`: which `X-Forwarded-For` entry is the client, and what it refuses to parse.
final class TrustedProxiesTests: XCTestCase {
    private func proxies(_ text: String) throws -> TrustedProxies {
        try TrustedProxies(parsing: text)
    }

    func testParsesAddressesAndNetworksAndNamesTheBadEntry() throws {
        XCTAssertEqual(try proxies(""), .none)
        XCTAssertEqual(try proxies(" , "), .none)
        _ = try proxies("10.0.0.0/8, 192.168.1.7 ,fd00::/8, ::1, 0.0.0.0/0")
        for (text, bad) in [("10.0.0.0/33", "10.0.0.0/33"), ("10.0.0.1, nope", "nope"), ("1.2.3.4/x", "1.2.3.4/x"),
                            ("::1/129", "::1/129"), ("1.2.3.4/8/8", "1.2.3.4/8/8"), ("10.0.0.0/", "10.0.0.0/"),
                            ("1.2.3", "1.2.3"), ("fe80::1%eth0", "fe80::1%eth0")] {
            XCTAssertThrowsError(try TrustedProxies(parsing: text), text) { error in
                XCTAssertEqual((error as? TrustedProxies.InvalidEntry)?.entry, bad, text)
            }
        }
    }

    func testNetworksContainTheirAddressesOnly() throws {
        let trusted = try proxies("10.0.0.0/8, 192.168.1.7, fd00::/8, 172.16.0.0/12")
        for address in ["10.0.0.1", "10.255.255.255", "::ffff:10.1.2.3", "192.168.1.7", "fd12:3456::1", "172.31.0.1"] {
            XCTAssertTrue(trusted.trusts(address), address)
        }
        for address in ["11.0.0.1", "9.255.255.255", "192.168.1.8", "fe00::1", "172.32.0.1", "::1", "not an address", ""] {
            XCTAssertFalse(trusted.trusts(address), address)
        }
    }

    func testTheClientIsTheRightmostUntrustedHop() throws {
        let trusted = try proxies("10.0.0.0/8")
        let cases: [(peer: String, header: [String], client: String, why: String)] = [
            ("10.0.0.2", ["203.0.113.7"], "203.0.113.7", "one proxy"),
            ("10.0.0.2", ["1.1.1.1, 203.0.113.7"], "203.0.113.7", "what the caller wrote is ignored"),
            ("10.0.0.2", ["203.0.113.7, 10.0.0.9"], "203.0.113.7", "two proxies"),
            ("10.0.0.2", ["198.51.100.1", "203.0.113.7, 10.0.0.9"], "203.0.113.7", "several header lines, in order"),
            ("10.0.0.2", ["10.0.0.8, 10.0.0.9"], "10.0.0.8", "all trusted: the leftmost"),
            ("10.0.0.2", [], "10.0.0.2", "no header: the peer"),
            ("10.0.0.2", ["203.0.113.7, garbage"], "10.0.0.2", "an unreadable hop where a proxy's should be"),
            ("10.0.0.2", ["garbage, 203.0.113.7"], "203.0.113.7", "an unreadable caller-written hop is never reached"),
            ("10.0.0.2", [" 2001:db8::7 ,10.0.0.9"], "2001:db8::7", "IPv6 and spaces"),
            ("203.0.113.9", ["1.1.1.1"], "203.0.113.9", "an untrusted peer's header is ignored"),
        ]
        for (peer, header, client, why) in cases {
            XCTAssertEqual(trusted.clientAddress(peer: peer, forwardedFor: header), client, why)
        }
        XCTAssertEqual(TrustedProxies.none.clientAddress(peer: "10.0.0.2", forwardedFor: ["203.0.113.7"]), "10.0.0.2",
                       "nobody trusted: the peer")
    }
}
