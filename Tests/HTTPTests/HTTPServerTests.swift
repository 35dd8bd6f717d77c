import Coordination
import Foundation
import Synchronization
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import HTTP

final class HTTPServerTests: XCTestCase {
    /// `/held` signals `heldEntered` and answers "held" once `heldRelease` is signalled: a
    /// request the test knows is in flight, for as long as the test wants.
    private let heldEntered = OneShotEvent()
    private let heldRelease = OneShotEvent()

    private func makeRouter() -> Router {
        let router = Router()
        let (heldEntered, heldRelease) = (self.heldEntered, self.heldRelease)
        router.get("/held") { _ in
            heldEntered.signal()
            await heldRelease.wait()
            return .text("held")
        }
        router.addInline(.GET, "/ping") { _ in .json(status: .ok, object: ["pong": true]) }
        router.get("/clients/:id") { request in
            .json(status: .ok, object: ["id": .string(request.pathParameters["id"] ?? "")])
        }
        router.post("/echo", options: RouteOptions(maxBodyBytes: 1024)) { request in
            HTTPResponse(status: .ok, body: try await request.body.collect(upTo: 1024))
        }
        router.get("/slow") { _ in
            // The delay is the behaviour under test: a slow answer that later, faster ones
            // must not overtake.
            try await Task.sleep(for: .milliseconds(400))
            return .text("slow")
        }
        router.post("/upload", options: RouteOptions(maxBodyBytes: 64 << 20, streamsBody: true)) { request in
            var total = 0, chunks = 0, largest = 0
            // Start late: without backpressure the whole upload would pile up meanwhile.
            try await Task.sleep(for: .milliseconds(200))
            for try await chunk in request.body {
                total += chunk.count
                chunks += 1
                largest = max(largest, chunk.count)
                if chunks % 8 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            var peak = 0
            if case .stream(let stream) = request.body.storage { peak = stream.peakBufferedBytes }
            return .json(status: .ok, object: ["total": .int(Int64(total)), "chunks": .int(Int64(chunks)),
                                               "largest": .int(Int64(largest)), "peak": .int(Int64(peak))])
        }
        return router
    }

    func testKeepAliveServesSeveralRequests() async throws {
        let running = try await RunningServer.start(makeRouter())
        let connection = try running.connect()
        for i in 0..<5 {
            try connection.send("GET /clients/\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try connection.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.json?["id"], .string("\(i)"))
            XCTAssertNil(response.headers["Connection"])
        }
        try connection.send("GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let old = try connection.readResponse()
        XCTAssertEqual(old.headers["Connection"], "keep-alive")
        try connection.send("HEAD /clients/9 HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try connection.readResponse(head: true)
        XCTAssertEqual(head.status, 200)
        XCTAssertNotEqual(head.headers["Content-Length"], "0")
        try connection.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try connection.readResponse().json, ["pong": true])
        try await running.stop()
    }

    func testPipelinedRequestsAreAnsweredInOrder() async throws {
        let running = try await RunningServer.start(makeRouter())
        let connection = try running.connect()
        let requests = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + "GET /clients/7 HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n"
        try connection.send(requests)
        XCTAssertEqual(try connection.readResponse().text, "slow")
        XCTAssertEqual(try connection.readResponse().json, ["pong": true])
        XCTAssertEqual(try connection.readResponse().text, "abc")
        XCTAssertEqual(try connection.readResponse().json, ["id": "7"])
        XCTAssertEqual(try connection.readResponse().text, "de")
        try await running.stop()
    }

    func testProtocolErrorsGetStatusJsonAndClose() async throws {
        let running = try await RunningServer.start(makeRouter()) { $0.maxRequestTargetBytes = 512; $0.maxHeaderBytes = 1024 }
        let cases: [(String, Int)] = [
            ("GARBAGE\r\n\r\n", 400),
            ("POST /echo HTTP/1.1\r\nHost: x\r\n\r\n", 411),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413),
            ("GET /\(String(repeating: "a", count: 1000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 3000))\r\n\r\n", 431),
            ("BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
            ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ]
        for (request, status) in cases {
            let connection = try running.connect()
            try connection.send(request)
            let response = try connection.readResponse()
            XCTAssertEqual(response.status, status, request.prefix(40).debugDescription)
            XCTAssertEqual(response.headers["Connection"], "close")
            XCTAssertEqual(response.headers["Content-Type"], "application/json")
            XCTAssertNotNil(response.json?["error"])
            XCTAssertTrue(connection.isClosedByPeer())
        }
        let connection = try running.connect()
        try connection.send("GET /missing HTTP/1.1\r\nHost: x\r\n\r\nPUT /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(try connection.readResponse().status, 404)
        let wrongMethod = try connection.readResponse()
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.headers["Allow"], "GET, HEAD")
        // TRACE, CONNECT and QUERY are methods the server knows, so a path that does not
        // serve them is 405 with Allow; 501 is for a token it does not recognise (BREW above).
        for method in ["TRACE", "CONNECT", "OPTIONS", "QUERY"] {
            try connection.send("\(method) /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            let answer = try connection.readResponse()
            XCTAssertEqual(answer.status, 405, method)
            XCTAssertEqual(answer.headers["Allow"], "GET, HEAD", method)
            XCTAssertEqual(answer.json?["error"], "method_not_allowed", method)
        }
        try await running.stop()
    }

    func testChunkedBodyOverLimitIs413() async throws {
        let running = try await RunningServer.start(makeRouter())
        let connection = try running.connect()
        try connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<4 { try connection.send("200\r\n\(String(repeating: "z", count: 512))\r\n") }
        let response = try connection.readResponse()
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(response.json?["error"], "payload_too_large")
        try await running.stop()
    }

    func testExpectContinue() async throws {
        let running = try await RunningServer.start(makeRouter())
        let connection = try running.connect()
        try connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        var raw = [UInt8](repeating: 0, count: 100)
        let n = recv(connection.fd, &raw, raw.count, 0)
        XCTAssertEqual(String(decoding: raw[0..<max(0, n)], as: UTF8.self), "HTTP/1.1 100 Continue\r\n\r\n")
        try connection.send("body")
        XCTAssertEqual(try connection.readResponse().text, "body")
        let refused = try running.connect()
        try refused.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\nExpect: 100-continue\r\n\r\n")
        XCTAssertEqual(try refused.readResponse().status, 413)
        try await running.stop()
    }

    func testSlowHeadersGet408AndClose() async throws {
        let running = try await RunningServer.start(makeRouter()) { $0.headerTimeout = .milliseconds(300) }
        let connection = try running.connect()
        let started = Date()
        try connection.send("GET /ping HTTP/1.1\r\nHost:")
        let response = try connection.readResponse()
        XCTAssertEqual(response.status, 408)
        // A correctness bound, not a performance claim: the 300 ms header timeout answered,
        // well before the connection's 5 s read timeout would have failed the read.
        XCTAssertLessThan(Date().timeIntervalSince(started), 4)
        XCTAssertTrue(connection.isClosedByPeer())

        let stalled = try running.connect()
        try stalled.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        XCTAssertEqual(try stalled.readResponse().status, 408)
        try await running.stop()
    }

    func testIdleConnectionIsClosedAfterIdleTimeout() async throws {
        let running = try await RunningServer.start(makeRouter()) { $0.idleTimeout = .milliseconds(200) }
        let connection = try running.connect()
        try connection.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try connection.readResponse().status, 200)
        XCTAssertTrue(connection.isClosedByPeer())
        try await running.stop()
    }

    func testHalfClosedClientStillGetsAllResponses() async throws {
        let running = try await RunningServer.start(makeRouter())
        let connection = try running.connect()
        try connection.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /clients/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.shutdownWrite()
        XCTAssertEqual(try connection.readResponse().text, "slow")
        XCTAssertEqual(try connection.readResponse().json, ["id": "1"])
        XCTAssertEqual(try connection.readResponse().json, ["pong": true])
        XCTAssertTrue(connection.isClosedByPeer())
        try await running.stop()
    }

    func testStreamedUploadIsConsumedInBoundedChunks() async throws {
        let running = try await RunningServer.start(makeRouter())
        let connection = try running.connect(timeout: 20)
        let size = 20 * 1024 * 1024
        try connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
        let fd = connection.fd
        let sender = Thread { HTTPServerTests.sendFiller(fd: fd, size: size) }
        sender.start()
        let response = try connection.readResponse()
        XCTAssertEqual(response.status, 200)
        let json = try XCTUnwrap(response.json)
        XCTAssertEqual(json["total"], .int(Int64(size)))
        guard case .int(let chunks)? = json["chunks"], case .int(let largest)? = json["largest"],
              case .int(let peak)? = json["peak"] else { return XCTFail("bad body \(json)") }
        XCTAssertGreaterThan(chunks, 300)
        XCTAssertLessThanOrEqual(largest, 64 * 1024)
        XCTAssertLessThanOrEqual(peak, Int64(HTTPBodyStream.highWaterMark + 64 * 1024))

        // Chunked uploads stream too.
        try connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<64 { try connection.send("4000\r\n" + String(repeating: "q", count: 0x4000) + "\r\n") }
        try connection.send("0\r\n\r\n")
        XCTAssertEqual(try connection.readResponse().json?["total"], .int(64 * 0x4000))
        try await running.stop()
    }

    private static func sendFiller(fd: Int32, size: Int) {
        let block = [UInt8](repeating: 0x61, count: 256 * 1024)
        var sent = 0
        while sent < size {
            let n: Int = block.withUnsafeBytes { bytes in
                send(fd, bytes.baseAddress, min(bytes.count, size - sent), Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            sent += n
        }
    }

    func testStreamingRouteRejectsOversizedContentLengthBeforeHandler() async throws {
        let router = Router()
        router.post("/small-stream", options: RouteOptions(maxBodyBytes: 100, streamsBody: true)) { _ in
            XCTFail("handler must not run")
            return .text("ran")
        }
        let running = try await RunningServer.start(router)
        let connection = try running.connect()
        try connection.send("POST /small-stream HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n")
        XCTAssertEqual(try connection.readResponse().status, 413)
        try await running.stop()
    }

    func testConnectionCapRejectsExtraConnections() async throws {
        let running = try await RunningServer.start(makeRouter()) { $0.maxConnections = 2 }
        let first = try running.connect(), second = try running.connect()
        try first.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        try second.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try first.readResponse().status, 200)
        XCTAssertEqual(try second.readResponse().status, 200)
        let third = try running.connect()
        let rejected = try? third.readResponse()
        XCTAssertTrue(rejected == nil || rejected?.status == 503)
        XCTAssertTrue(third.isClosedByPeer())
        try first.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try first.readResponse().status, 200)
        try await running.stop()
    }

    func testGracefulShutdownFinishesInFlightRequest() async throws {
        let running = try await RunningServer.start(makeRouter()) { $0.shutdownGracePeriod = .seconds(30) }
        let busy = try running.connect()
        let idle = try running.connect()
        try idle.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try idle.readResponse().status, 200)
        try busy.send("GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
        await heldEntered.wait()
        running.server.beginGracefulShutdown()
        XCTAssertTrue(idle.isClosedByPeer())
        let released = Date()
        heldRelease.signal()
        let response = try busy.readResponse()
        XCTAssertEqual(response.text, "held")
        XCTAssertEqual(response.headers["Connection"], "close")
        try await running.task.value
        // A correctness bound, not a performance claim: the server ends once its last request
        // is answered, not when the 30 s grace period runs out.
        XCTAssertLessThan(Date().timeIntervalSince(released), 15)
        XCTAssertThrowsError(try running.connect())
    }

    func testShutdownForceClosesAfterGracePeriod() async throws {
        let router = Router()
        let entered = OneShotEvent()
        router.get("/hang") { _ in
            entered.signal()
            try? await Task.sleep(for: .seconds(30))
            return .text("late")
        }
        let running = try await RunningServer.start(router) { $0.shutdownGracePeriod = .milliseconds(300) }
        let connection = try running.connect()
        try connection.send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
        await entered.wait()
        let started = Date()
        running.server.beginGracefulShutdown()
        try await running.task.value
        // A correctness bound, not a performance claim: the handler hangs for 30 s, so ending
        // well before that means the 300 ms grace period closed it.
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        XCTAssertTrue(connection.isClosedByPeer())
    }

    func testOnLoopHandlerRunsOnItsEventLoopAcrossAwaits() async throws {
        let router = Router()
        router.get("/on-loop", options: RouteOptions(runsOnEventLoop: true)) { _ in
            let before = currentThreadName()
            try await Task.sleep(for: .milliseconds(5))
            let afterSleep = currentThreadName()
            // Resumed from a Dispatch thread, as the database pool and the HTTP client do.
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume() }
            }
            return .json(status: .ok, object: ["before": .string(before), "afterSleep": .string(afterSleep),
                                               "afterResume": .string(currentThreadName())])
        }
        router.get("/pooled") { _ in .text(currentThreadName()) }
        let running = try await RunningServer.start(router)
        let connection = try running.connect()
        for _ in 0..<3 {
            try connection.send("GET /on-loop HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try connection.readResponse()
            XCTAssertEqual(response.status, 200)
            let names = ["before", "afterSleep", "afterResume"].compactMap { key -> String? in
                if case .string(let name)? = response.json?[key] { return name }
                return nil
            }
            XCTAssertEqual(names.count, 3)
            XCTAssertEqual(Set(names).count, 1, "one loop thread throughout: \(names)")
            XCTAssertTrue(names.allSatisfy { $0.hasPrefix("http-loop-") }, "\(names)")
        }
        try connection.send("GET /pooled HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertFalse(try connection.readResponse().text.hasPrefix("http-loop-"))
        try await running.stop()
    }

    func testOnLoopHandlerOutlivingItsLoopStillFinishes() async throws {
        let finished = expectation(description: "the handler's task finishes after the loop stopped")
        let router = Router()
        let (entered, release) = (OneShotEvent(), OneShotEvent())
        router.get("/hang", options: RouteOptions(runsOnEventLoop: true)) { _ in
            entered.signal()
            await release.wait()
            finished.fulfill()
            return .text("late")
        }
        let running = try await RunningServer.start(router) { $0.shutdownGracePeriod = .milliseconds(100) }
        let connection = try running.connect()
        try connection.send("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
        await entered.wait()
        running.server.beginGracefulShutdown()
        try await running.task.value
        XCTAssertTrue(connection.isClosedByPeer())
        // Released only now that the server and its loops have stopped.
        release.signal()
        await fulfillment(of: [finished], timeout: 5)
    }

    func testCancellingRunShutsDown() async throws {
        let running = try await RunningServer.start(makeRouter())
        running.task.cancel()
        try await running.task.value
        XCTAssertThrowsError(try running.connect())
    }

    func testThousandIdleKeepAliveConnectionsAreServed() async throws {
        final class Counter: HTTPServerObserver, Sendable {
            let counts = Mutex((peak: 0, requests: 0))
            func requestCompleted(_ request: HTTPRequest, status: HTTPStatus, duration: Duration) {
                counts.withLock { $0.requests += 1 }
            }
            func connectionCountChanged(_ open: Int) { counts.withLock { $0.peak = max($0.peak, open) } }
        }
        let counter = Counter()
        let running = try await RunningServer.start(makeRouter(), observer: counter)
        var connections: [TestConnection] = []
        for _ in 0..<1000 { connections.append(try running.connect()) }
        for connection in connections { try connection.send("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n") }
        for connection in connections { XCTAssertEqual(try connection.readResponse().status, 200) }
        // Still open and usable after everyone was served once.
        for connection in connections.prefix(50) {
            try connection.send("GET /clients/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try connection.readResponse().status, 200)
        }
        XCTAssertEqual(counter.counts.withLock { $0.peak }, 1000)
        XCTAssertEqual(counter.counts.withLock { $0.requests }, 1050)
        connections.removeAll()
        try await running.stop()
    }

    func testBindFailureIsReported() async throws {
        let running = try await RunningServer.start(makeRouter())
        let second = HTTPServer(configuration: HTTPServerConfiguration(host: "203.0.113.1", port: running.port), router: Router())
        do {
            try await second.run()
            XCTFail("expected bind failure")
        } catch {}
        do {
            _ = try await second.boundPort()
            XCTFail("expected failure")
        } catch {}
        try await running.stop()
    }
}

/// Which event loop's thread runs the caller ("none" off the loops); a synchronous function,
/// so async code may ask.
private func currentThreadName() -> String {
    EventLoop.current.map { "http-loop-\(ObjectIdentifier($0).hashValue)" } ?? "none"
}
