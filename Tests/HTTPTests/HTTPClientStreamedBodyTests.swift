import Errors
import Foundation
import XCTest
@testable import HTTP

/// `HTTPClient.execute(_:streaming:contentLength:)`: a body sent as it is produced, with
/// either framing, and an early answer (the server refusing after the first bytes) heard
/// instead of a broken pipe.
final class HTTPClientStreamedBodyTests: XCTestCase {
    private func makeRouter() -> Router {
        let router = Router()
        // Answers the body's length and a checksum, reading it as a stream.
        router.post("/count", options: RouteOptions(maxBodyBytes: 64 << 20, streamsBody: true)) { request in
            var count = 0
            var sum: UInt64 = 0
            for try await chunk in request.body {
                count += chunk.count
                for byte in chunk { sum = sum &* 31 &+ UInt64(byte) }
            }
            return .text("\(count) \(sum) \(request.headers["Transfer-Encoding"] ?? "length")")
        }
        // Refuses once 64 KiB have arrived, without reading the rest.
        router.post("/refuse", options: RouteOptions(maxBodyBytes: 64 << 20, streamsBody: true)) { request in
            var count = 0
            for try await chunk in request.body {
                count += chunk.count
                if count > 64 * 1024 { throw ClienteleError(.payloadTooLarge, "too large") }
            }
            return .text("read all")
        }
        return router
    }

    /// A producer of `total` bytes in chunks of `chunk`, recording how many it has made.
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = [UInt8]
        let total: Int
        let chunk: Int
        struct AsyncIterator: AsyncIteratorProtocol {
            var made = 0
            let total: Int
            let chunk: Int
            mutating func next() async throws -> [UInt8]? {
                guard made < total else { return nil }
                let size = Swift.min(chunk, total - made)
                defer { made += size }
                return (0..<size).map { UInt8(truncatingIfNeeded: ($0 + made) &* 7) }
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(total: total, chunk: chunk) }
    }

    static func checksum(total: Int) -> UInt64 {
        var sum: UInt64 = 0
        for index in 0..<total { sum = sum &* 31 &+ UInt64(UInt8(truncatingIfNeeded: index &* 7)) }
        return sum
    }

    func testBodiesArriveWholeWithEitherFraming() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient()
        let url = "http://127.0.0.1:\(running.port)/count"
        let total = 3 * 1024 * 1024 + 17
        let expected = Self.checksum(total: total)
        let sized = try await client.execute(HTTPClientRequest(method: .POST, url: url),
                                             streaming: Chunks(total: total, chunk: 50_000), contentLength: total)
        XCTAssertEqual(String(decoding: sized.body, as: UTF8.self), "\(total) \(expected) length")
        let chunked = try await client.execute(HTTPClientRequest(method: .POST, url: url),
                                               streaming: Chunks(total: total, chunk: 65_536), contentLength: nil)
        XCTAssertEqual(String(decoding: chunked.body, as: UTF8.self), "\(total) \(expected) chunked")
        let empty = try await client.execute(HTTPClientRequest(method: .POST, url: url),
                                             streaming: Chunks(total: 0, chunk: 1), contentLength: 0)
        XCTAssertEqual(String(decoding: empty.body, as: UTF8.self), "0 0 length")
        // The connection went back to the pool and serves an ordinary call.
        let again = try await client.execute(HTTPClientRequest(method: .POST, url: url, body: [1, 2, 3]))
        XCTAssertEqual(again.status, .ok)
        client.shutdown()
        try await running.stop()
    }

    func testAnEarlyAnswerIsReturnedInsteadOfABrokenPipe() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient()
        let url = "http://127.0.0.1:\(running.port)/refuse"
        for length in [32 << 20, nil] as [Int?] {
            let response = try await client.execute(HTTPClientRequest(method: .POST, url: url),
                                                    streaming: Chunks(total: 32 << 20, chunk: 65_536), contentLength: length)
            XCTAssertEqual(response.status.code, 413, "framing \(String(describing: length))")
        }
        client.shutdown()
        try await running.stop()
    }

    func testALengthTheChunksDoNotAddUpToFails() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient()
        let url = "http://127.0.0.1:\(running.port)/count"
        do {
            _ = try await client.execute(HTTPClientRequest(method: .POST, url: url), streaming: Chunks(total: 10, chunk: 4),
                                         contentLength: 11)
            XCTFail("a short body must fail")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .internal)
        }
        client.shutdown()
        try await running.stop()
    }
}
