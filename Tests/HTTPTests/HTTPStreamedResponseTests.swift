import Errors
import Foundation
import XCTest
@testable import HTTP
import TestSupport

/// Streamed bodies of a known size (`HTTPStreamedBody(length:)`, a document download): sent
/// with their `Content-Length`, unframed, and a producer that writes less than it announced
/// ends the connection short; and the client's side, `HTTPClient.stream`, which reads such a
/// body piece by piece and returns the connection to the pool after its end.
final class HTTPStreamedResponseTests: XCTestCase {
    private static let total = 3 * 1024 * 1024 + 17

    private static func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
    }

    private func router() -> Router {
        let router = Router()
        router.get("/sized") { request in
            let announced = Int(request.queryParameter("announce") ?? "") ?? Self.total
            var response = HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"])
            response.streamedBody = HTTPStreamedBody(length: announced) { writer in
                let all = Self.bytes(Self.total)
                var offset = 0
                while offset < all.count {
                    let end = min(all.count, offset + 100_000)
                    try await writer.write(Array(all[offset..<end]))
                    offset = end
                }
            }
            return response
        }
        return router
    }

    func testASizedStreamedBodyIsSentWithItsLengthAndReadPieceByPieceOnAReusedConnection() async throws {
        let server = try await RunningServer.start(router())
        let client = HTTPClient()
        defer { client.shutdown() }
        for round in 0..<2 {
            let response = try await client.stream(HTTPClientRequest(method: .GET, url: "http://127.0.0.1:\(server.port)/sized"))
            XCTAssertEqual(response.status.code, 200)
            XCTAssertEqual(response.headers["Content-Length"], String(Self.total))
            XCTAssertNil(response.headers["Transfer-Encoding"])
            var received: [UInt8] = []
            var pieces = 0
            for try await piece in response.body {
                XCTAssertLessThanOrEqual(piece.count, 256 * 1024, "a piece is one receive, never the whole body")
                received.append(contentsOf: piece)
                pieces += 1
            }
            XCTAssertTrue(received == Self.bytes(Self.total), "round \(round): the body arrives whole and in order")
            XCTAssertGreaterThan(pieces, 1)
        }
        // The buffered client reads the same answer (the server's framing is plain Content-Length).
        let whole = try await client.execute(HTTPClientRequest(method: .GET, url: "http://127.0.0.1:\(server.port)/sized"))
        XCTAssertTrue(whole.body == Self.bytes(Self.total))
        try await server.stop()
    }

    func testAProducerThatWritesLessOrMoreThanItAnnouncedEndsTheConnectionShort() async throws {
        let server = try await RunningServer.start(router())
        for announced in [Self.total + 1000, Self.total - 1000] {
            let connection = try server.connect()
            try connection.send("GET /sized?announce=\(announced) HTTP/1.1\r\nHost: x\r\n\r\n")
            let raw = try connection.readToEnd()
            let text = String(decoding: raw.prefix(200), as: UTF8.self)
            XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 OK"))
            XCTAssertTrue(text.contains("Content-Length: \(announced)\r\n"))
            let headEnd = try XCTUnwrap(raw.firstRange(of: [13, 10, 13, 10])).upperBound
            XCTAssertLessThan(raw.count - headEnd, announced, "the connection closes before the announced length")
        }
        let client = HTTPClient()
        defer { client.shutdown() }
        let short = try await client.stream(HTTPClientRequest(method: .GET,
                                                              url: "http://127.0.0.1:\(server.port)/sized?announce=\(Self.total + 1000)"))
        do {
            _ = try await short.body.collect(maxBytes: 1 << 30)
            XCTFail("a body that ends short of its length is an error, not a complete answer")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .unavailable)
        }
        try await server.stop()
    }
}
