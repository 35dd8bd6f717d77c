import Errors
import Foundation
import TestSupport
import TLS
import XCTest
@testable import HTTP

/// The client's https: the peer's certificate is checked against the trust store and the
/// URL's host before any request byte goes out, and a verified connection is kept alive.
final class HTTPClientTLSTests: XCTestCase {
    private static let certificates = Result { try TestCertificates.make() }

    private func serve() async throws -> (RunningServer, TLSTerminator) {
        let router = Router()
        router.post("/echo") { request in
            var response = HTTPResponse(status: .created, body: try await request.body.collect(upTo: 1 << 20))
            response.headers.add(name: "X-Host", value: request.headers["Host"] ?? "")
            return response
        }
        let running = try await RunningServer.start(router)
        return (running, try TLSTerminator(certificates: try Self.certificates.get(), backendPort: running.port))
    }

    private func client(trusting file: String) throws -> HTTPClient {
        HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(2), requestTimeout: .seconds(5),
                                                          tls: try TLSContext(clientTrusting: file)))
    }

    func testAVerifiedServerAnswersAndItsConnectionIsKeptAlive() async throws {
        let (running, terminator) = try await serve()
        let client = try client(trusting: try Self.certificates.get().authorityFile)
        for body in ["first", "second"] {
            let response = try await client.execute(HTTPClientRequest(method: .POST, url: "https://localhost:\(terminator.port)/echo",
                                                                      body: Array(body.utf8)))
            XCTAssertEqual(response.status.code, 201)
            XCTAssertEqual(String(decoding: response.body, as: UTF8.self), body)
            XCTAssertEqual(response.headers["X-Host"], "localhost:\(terminator.port)")
        }
        XCTAssertEqual(terminator.handshakes.load(ordering: .relaxed), 1, "the second call reuses the verified connection")
        client.shutdown()
        terminator.stop()
        try await running.stop()
    }

    /// A caller that checked the address itself connects there; the name is still verified.
    func testAChosenAddressIsUsedAndTheURLsHostIsStillVerified() async throws {
        let (running, terminator) = try await serve()
        let client = try client(trusting: try Self.certificates.get().authorityFile)
        let response = try await client.execute(HTTPClientRequest(method: .POST, url: "https://localhost:\(terminator.port)/echo",
                                                                  connectAddress: "127.0.0.1", body: Array("x".utf8)))
        XCTAssertEqual(response.status.code, 201)

        do {
            _ = try await client.execute(HTTPClientRequest(method: .POST, url: "https://crm.example:\(terminator.port)/echo",
                                                           connectAddress: "127.0.0.1", body: Array("x".utf8)))
            XCTFail("a certificate for localhost was taken for crm.example")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .unavailable)
            XCTAssertTrue(error.internalDetail?.contains("certificate") == true, error.internalDetail ?? "")
        }
        client.shutdown()
        terminator.stop()
        try await running.stop()
    }

    func testAServerSignedByAnAuthorityTheClientDoesNotTrustIsRefusedBeforeAnyRequest() async throws {
        let (running, terminator) = try await serve()
        let client = try client(trusting: try Self.certificates.get().untrustedAuthorityFile)
        do {
            _ = try await client.execute(HTTPClientRequest(method: .POST, url: "https://localhost:\(terminator.port)/echo",
                                                           body: Array("secret".utf8)))
            XCTFail("an untrusted server got the request")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .unavailable)
            XCTAssertEqual(error.message, "Upstream TLS failed")
            XCTAssertTrue(error.internalDetail?.contains("certificate") == true, error.internalDetail ?? "")
        }
        XCTAssertEqual(terminator.handshakes.load(ordering: .relaxed), 0)
        client.shutdown()
        terminator.stop()
        try await running.stop()
    }

    /// A name that is neither a host name nor an address is refused before any byte is sent
    /// (and the half-made session is freed once).
    func testAServerNameThatIsNotValidIsRefused() throws {
        let context = try TLSContext(clientTrusting: try Self.certificates.get().authorityFile)
        for name in ["1.2.3.4.5", "300.1.1.1"] {
            XCTAssertThrowsError(try TLSSession(client: context, fd: -1, serverName: name), name) { error in
                XCTAssertEqual((error as? ClienteleError)?.code, .invalidArgument)
            }
        }
    }

    func testHttpsWithoutATLSConfigurationIsRefused() async throws {
        let client = HTTPClient()
        do {
            _ = try await client.execute(HTTPClientRequest(url: "https://localhost:1/"))
            XCTFail("https went out without TLS")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
        client.shutdown()
    }
}
