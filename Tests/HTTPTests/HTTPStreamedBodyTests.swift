import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import HTTP
import Synchronization
import TestSupport

/// Streamed response bodies (`HTTPStreamedBody`): sent chunked, whole and in order; held by
/// a reader that does not read (the producer waits, memory stays bounded); a failed producer
/// or a closed peer ends the stream without a complete-looking body.
final class HTTPStreamedBodyTests: XCTestCase {
    /// What a producer has written so far, and how it ended.
    private final class Progress: Sendable {
        private let state = Mutex((produced: 0, ended: false, closedSeen: false))
        var produced: Int { state.withLock { $0.produced } }
        var ended: Bool { state.withLock { $0.ended } }
        var closedSeen: Bool { state.withLock { $0.closedSeen } }
        func add(_ count: Int) { state.withLock { $0.produced += count } }
        func end(closed: Bool) { state.withLock { $0.ended = true; $0.closedSeen = closed } }
    }

    private static func chunk(_ index: Int, size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: index &+ $0) }
    }

    private func router(chunks: Int, size: Int, progress: Progress, failAfter: Int? = nil) -> Router {
        let router = Router()
        router.get("/stream") { _ in
            var response = HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"])
            response.streamedBody = HTTPStreamedBody { writer in
                do {
                    for index in 0..<chunks {
                        if let failAfter, index == failAfter { throw CancellationError() }
                        try await writer.write(Self.chunk(index, size: size))
                        progress.add(size)
                    }
                    progress.end(closed: false)
                } catch is HTTPBodyWriter.ConnectionClosed {
                    progress.end(closed: true)
                    throw HTTPBodyWriter.ConnectionClosed()
                }
            }
            return response
        }
        router.get("/after") { _ in .text("after") }
        return router
    }

    func testAStreamedBodyArrivesChunkedWholeAndTheConnectionServesTheNextRequest() async throws {
        let progress = Progress()
        let server = try await RunningServer.start(router(chunks: 50, size: 10_000, progress: progress))
        let client = HTTPClient()
        defer { client.shutdown() }
        let response = try await client.execute(HTTPClientRequest(method: .GET, url: "http://127.0.0.1:\(server.port)/stream"))
        XCTAssertEqual(response.status.code, 200)
        XCTAssertEqual(response.headers["Transfer-Encoding"], "chunked")
        XCTAssertNil(response.headers["Content-Length"])
        XCTAssertEqual(response.body, (0..<50).flatMap { Self.chunk($0, size: 10_000) })
        // Pipelined behind a stream on one socket: answered after the stream's last chunk.
        let connection = try server.connect()
        try connection.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        let raw = try connection.readUntil(Array("after".utf8))
        let text = String(decoding: raw, as: UTF8.self)
        XCTAssertTrue(text.contains("\r\n0\r\n\r\nHTTP/1.1 200 OK"), "the second answer follows the stream's end")
        try await server.stop()
    }

    func testAReaderThatDoesNotReadHoldsTheProducerAndMemoryStaysBounded() async throws {
        let progress = Progress()
        let chunkSize = 64 * 1024
        let total = 3200  // 200 MiB if nothing held the producer
        let server = try await RunningServer.start(router(chunks: total, size: chunkSize, progress: progress)) {
            $0.maxPendingOutputBytes = 256 * 1024
        }
        let connection = try server.connect(timeout: 20)
        connection.setReceiveBuffer(64 * 1024)
        try connection.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        // Read in steps; at every step the producer is at most a bounded distance ahead of the
        // reader: the server's output limit plus the two sockets' buffers.
        var consumed = 0
        let bound = 16 * 1024 * 1024
        while consumed < 24 * 1024 * 1024 {
            consumed += try connection.readSome()
            XCTAssertLessThanOrEqual(progress.produced - consumed, bound, "the producer ran ahead of the reader")
            if progress.produced - consumed > bound { break }
        }
        XCTAssertFalse(progress.ended)
        connection.closeNow()
        try await eventually("the producer saw the connection close") { progress.ended }
        XCTAssertTrue(progress.closedSeen)
        XCTAssertLessThan(progress.produced, total * chunkSize)
        try await server.stop()
    }

    func testAFailedProducerClosesTheConnectionWithoutTheLastChunk() async throws {
        let progress = Progress()
        let server = try await RunningServer.start(router(chunks: 10, size: 1000, progress: progress, failAfter: 3))
        let connection = try server.connect()
        try connection.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        let raw = try connection.readToEnd()
        let text = String(decoding: raw, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertFalse(text.hasSuffix("0\r\n\r\n"), "no last chunk: the client sees a truncated body")
        XCTAssertEqual(progress.produced, 3000)
        try await server.stop()
    }
}
