import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import HTTP
import Synchronization
import TestSupport

/// A client that sends requests and never reads the answers must not grow the server's
/// memory, must not hold up other clients, and is closed after the idle timeout.
final class HTTPServerBackpressureTests: XCTestCase {
    /// Open connections and queued responses, as the server reports them.
    private final class ServerEvents: HTTPServerObserver, Sendable {
        private let counts = Mutex((open: 0, completed: 0))

        var openConnections: Int { counts.withLock { $0.open } }
        var completedRequests: Int { counts.withLock { $0.completed } }

        func requestCompleted(_ request: HTTPRequest, status: HTTPStatus, duration: Duration) {
            counts.withLock { $0.completed += 1 }
        }

        func connectionCountChanged(_ open: Int) { counts.withLock { $0.open = open } }
    }

    /// A sender thread that pipelines requests on one socket until stopped or refused.
    private final class PipeliningSender: Sendable {
        private struct State {
            var stop = false
            var finished = false
            var sentRequests = 0
        }

        private let fd: Int32
        private let batch: [UInt8]
        private let requestsPerBatch: Int
        private let state = Mutex(State())

        init(fd: Int32, request: String, requestsPerBatch: Int) {
            self.fd = fd
            self.requestsPerBatch = requestsPerBatch
            batch = Array(String(repeating: request, count: requestsPerBatch).utf8)
        }

        var isFinished: Bool { state.withLock { $0.finished } }

        /// Sends up to `maxRequests`; a blocked send times out (SO_SNDTIMEO) and is retried.
        func start(maxRequests: Int) {
            Thread { [self] in
                var offset = 0
                sending: while state.withLock({ !$0.stop && $0.sentRequests < maxRequests }) {
                    let n = batch.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                    if n < 0 {
                        if errno == EAGAIN || errno == EINTR { continue sending }
                        break sending
                    }
                    offset += n
                    if offset == batch.count {
                        offset = 0
                        state.withLock { $0.sentRequests += requestsPerBatch }
                    }
                }
                state.withLock { $0.finished = true }
            }.start()
        }

        func stop() { state.withLock { $0.stop = true } }
    }

    private static let bigBody = [UInt8](repeating: 0x62, count: 64 * 1024)

    private func makeRouter() -> Router {
        let router = Router()
        router.addInline(.GET, "/big") { _ in HTTPResponse(status: .ok, body: HTTPServerBackpressureTests.bigBody) }
        router.get("/big-async") { _ in HTTPResponse(status: .ok, body: HTTPServerBackpressureTests.bigBody) }
        router.addInline(.GET, "/ping") { _ in .text("pong") }
        router.get("/numbered/:n") { request in
            HTTPResponse(status: .ok, headers: ["X-N": request.pathParameters["n"] ?? ""],
                         body: HTTPServerBackpressureTests.bigBody)
        }
        return router
    }

    func testPipeliningClientThatNeverReadsKeepsMemoryBoundedAndIsClosed() async throws {
        try await checkNonReadingPipeliner(path: "/big")
    }

    func testPipelinedAsyncHandlersAreHeldBackToo() async throws {
        try await checkNonReadingPipeliner(path: "/big-async")
    }

    /// Pipelines thousands of requests for a 64 KB answer on one connection and never reads:
    /// the server's resident size stays within 50 MB of what it was, a second client is
    /// answered meanwhile, and the first is closed once it has taken nothing for the idle
    /// timeout.
    private func checkNonReadingPipeliner(path: String) async throws {
        let events = ServerEvents()
        let running = try await RunningServer.start(makeRouter(), observer: events) { $0.idleTimeout = .milliseconds(500) }
        let other = try running.connect()
        try other.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try other.readResponse().body.count, Self.bigBody.count)
        let residentBefore = try Self.residentBytes()

        let greedy = try running.connect(timeout: 0.05)
        try await eventually("the server accepts the second connection") { events.openConnections == 2 }
        let sender = PipeliningSender(fd: greedy.fd, request: "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n", requestsPerBatch: 100)
        // 10,000 answers of 64 KB: 640 MB if the server queued them all.
        sender.start(maxRequests: 10_000)
        defer { sender.stop() }

        var residentPeak = residentBefore
        var otherAnswers = 0
        // `other` stays open: one connection left means the server closed the greedy one. Each
        // round waits for a ping's answer, so it needs no pause. (30 s bounds a server that
        // never closes the greedy client; it is not a measure of the 500 ms idle timeout.)
        try await eventually("the greedy client is closed", timeout: .seconds(30), pausing: false) {
            guard events.openConnections > 1 else { return true }
            residentPeak = max(residentPeak, try Self.residentBytes())
            if residentPeak - residentBefore > 50 << 20 { return true }
            try other.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try other.readResponse().text, "pong")
            otherAnswers += 1
            return false
        }
        let grewBy = residentPeak - residentBefore
        XCTAssertLessThan(grewBy, 50 << 20, "resident size grew by \(grewBy >> 20) MB")
        XCTAssertEqual(events.openConnections, 1, "the client that reads nothing is closed after the idle timeout")
        XCTAssertGreaterThan(otherAnswers, 10, "the other client is served meanwhile")
        sender.stop()
        try await eventually("the sender stops") { sender.isFinished }
        try await running.stop()
    }

    /// A client that pipelines far more than the limit and reads late still gets every
    /// answer, in order: the held connection goes on as the client reads. So does one that
    /// half-closes after its requests (the end of its input arrives while a handler runs and
    /// requests still wait behind the held output).
    func testPipelinedAnswersBeyondTheLimitAllArriveInOrder() async throws {
        // Below one answer's size: the connection holds after every answer.
        let running = try await RunningServer.start(makeRouter()) { $0.maxPendingOutputBytes = 16 * 1024 }
        for halfClose in [false, true] {
            let connection = try running.connect()
            let count = 300
            try connection.send((0..<count).map { "GET /numbered/\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
            if halfClose { connection.shutdownWrite() }
            for n in 0..<count {
                let response = try connection.readResponse()
                XCTAssertEqual(response.headers["X-N"], "\(n)")
                XCTAssertEqual(response.body.count, Self.bigBody.count)
            }
            if halfClose {
                XCTAssertTrue(connection.isClosedByPeer())
            } else {
                try connection.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
                XCTAssertEqual(try connection.readResponse().text, "pong")
            }
        }
        try await running.stop()
    }

    /// Below the output limit, a client that keeps sending requests but never reads the
    /// answers is still closed after the idle timeout: its requests do not count as activity
    /// while its earlier answers wait.
    func testClientThatSendsButNeverReadsIsClosedAfterIdleTimeout() async throws {
        let events = ServerEvents()
        let running = try await RunningServer.start(makeRouter(), observer: events) {
            $0.idleTimeout = .milliseconds(300)
            $0.maxPendingOutputBytes = 64 << 20
        }
        let greedy = try running.connect()
        try await eventually("the server accepts the connection") { events.openConnections == 1 }
        // 13 MB of answers: more than the kernel's socket buffers hold, less than the limit.
        try greedy.send(String(repeating: "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", count: 200))
        try await eventually("the burst is answered") { events.completedRequests >= 200 }

        // One request each time the last is answered, until the server closes the connection.
        let ping = Array("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        var answered = events.completedRequests
        // 30 s bounds a server that never closes it; it is not a measure of the idle timeout.
        try await eventually("the server closes the connection", timeout: .seconds(30), pausing: false) {
            guard events.openConnections > 0 else { return true }
            let sent = ping.withUnsafeBytes { send(greedy.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            guard sent == ping.count else { return true }
            try await eventually("the ping is answered or the connection closed") {
                events.completedRequests > answered || events.openConnections == 0
            }
            answered = events.completedRequests
            return false
        }
        XCTAssertEqual(events.openConnections, 0, "a client that keeps sending but reads nothing is closed")
        try await running.stop()
    }

    /// The process's resident set size, from /proc/self/status (the server runs in this process).
    private static func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.dropFirst("VmRSS:".count).trimmingCharacters(in: .whitespaces).dropLast(3)
                  .trimmingCharacters(in: .whitespaces)) else {
            throw TestSupportError("no VmRSS line in /proc/self/status")
        }
        return kilobytes * 1024
    }
}
