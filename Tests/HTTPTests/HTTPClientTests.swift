import Coordination
import Errors
import Foundation
import XCTest
@testable import HTTP

final class HTTPClientTests: XCTestCase {
    /// Lets `/slow` answer: until then it holds every request, as an upstream that does not
    /// answer, so a client's error can only come from its own timeout.
    private let slowAnswers = OneShotEvent()

    private func makeRouter() -> Router {
        let router = Router()
        router.get("/whoami") { .text($0.remoteAddress) }
        let slowAnswers = self.slowAnswers
        router.get("/slow") { _ in
            await slowAnswers.wait()
            return .text("slow")
        }
        router.post("/echo") { request in
            var response = HTTPResponse(status: .created, body: try await request.body.collect(upTo: 1 << 20))
            response.headers.add(name: "X-Method", value: request.method.rawValue)
            response.headers.add(name: "X-Query", value: request.queryParameter("q") ?? "")
            return response
        }
        return router
    }

    /// Upstream URLs: scheme case, ports, IPv6 literals, query-only and empty paths,
    /// fragments dropped; anything else refused.
    func testTargetParsesUpstreamURLs() throws {
        func parts(_ url: String) throws -> (String, Int, String) {
            let target = try HTTPClient.Target(url: url)
            return (target.host, target.port, target.requestTarget)
        }
        XCTAssertTrue(try parts("http://127.0.0.1:8081/internal/clients/x?tenantId=y") == ("127.0.0.1", 8081, "/internal/clients/x?tenantId=y"))
        XCTAssertTrue(try parts("HTTP://search") == ("search", 80, "/"))
        XCTAssertTrue(try parts("http://search?x=1#frag") == ("search", 80, "/?x=1"))
        XCTAssertTrue(try parts("http://[::1]:9000/a#b") == ("::1", 9000, "/a"))
        XCTAssertEqual(try HTTPClient.Target(url: "http://[::1]:9000/").hostHeader, "[::1]:9000")
        XCTAssertTrue(try parts("https://crm.example/v3") == ("crm.example", 443, "/v3"))
        XCTAssertEqual(try HTTPClient.Target(url: "https://crm.example:443/").hostHeader, "crm.example")
        XCTAssertEqual(try HTTPClient.Target(url: "https://crm.example:80/").hostHeader, "crm.example:80")
        for bad in ["httpx://x/", "https:/x", "ftp://x", "http://", "http:/x", "http://user@x/", "http://x:0/", "http://x:65536/",
                    "http://x:80a/", "http://x:/", "http://[::1/", "http://[::1]x/", "http://x/a b", "http://:80/"] {
            XCTAssertThrowsError(try HTTPClient.Target(url: bad), bad)
        }
    }

    func testKeepAliveConnectionIsReused() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient()
        var peers: Set<String> = []
        for _ in 0..<5 {
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(running.port)/whoami"))
            XCTAssertEqual(response.status, .ok)
            peers.insert(String(decoding: response.body, as: UTF8.self))
        }
        XCTAssertEqual(peers.count, 1, "all calls should use one pooled connection")
        let posted = try await client.execute(HTTPClientRequest(method: .POST, url: "http://localhost:\(running.port)/echo?q=a%20b",
                                                                headers: ["X-Evil": "a\r\nb", "Content-Type": "text/plain"],
                                                                body: Array("payload".utf8)))
        XCTAssertEqual(posted.status.code, 201)
        XCTAssertEqual(posted.body, Array("payload".utf8))
        XCTAssertEqual(posted.headers["X-Query"], "a b")
        client.shutdown()
        try await running.stop()
    }

    func testConcurrentCallsRespectPerHostCap() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient(configuration: HTTPClientConfiguration(maxConnectionsPerHost: 2))
        let peers = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(running.port)/whoami"))
                    return String(decoding: response.body, as: UTF8.self)
                }
            }
            var all: Set<String> = []
            for try await peer in group { all.insert(peer) }
            return all
        }
        XCTAssertLessThanOrEqual(peers.count, 2)
        client.shutdown()
        try await running.stop()
    }

    func testRequestTimeout() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .milliseconds(150)))
        let started = Date()
        do {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(running.port)/slow"))
            XCTFail("expected timeout")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .deadlineExceeded)
        }
        // A correctness bound, not a performance claim: `/slow` answers only once released
        // below, so only the client's 150 ms timeout can end the call.
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        slowAnswers.signal()
        client.shutdown()
        try await running.stop()
    }

    func testConnectFailureIsUnavailable() async throws {
        let scripted = ScriptedServer { _ in .closeWithoutResponse }
        let port = scripted.port
        scripted.stop()
        let client = HTTPClient()
        do {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
            XCTFail("expected failure")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .unavailable)
        }
        do {
            _ = try await client.execute(HTTPClientRequest(url: "https://127.0.0.1/"))
            XCTFail("expected failure")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
    }

    /// Names resolve through getaddrinfo (containers call services by name); a name that
    /// does not resolve is `.unavailable`, not a crash.
    func testHostNamesResolve() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient()
        defer { client.shutdown() }
        // The resolver itself (the client short-cuts "localhost" to 127.0.0.1 before it).
        guard case .v4(let address)? = HostResolver.lookUp(host: "localhost", port: running.port) else {
            return XCTFail("localhost did not resolve to an IPv4 address")
        }
        XCTAssertEqual(UInt16(bigEndian: address.sin_port), UInt16(running.port))
        XCTAssertNil(HostResolver.lookUp(host: "no-such-host.invalid", port: 80))
        do {
            _ = try await client.execute(HTTPClientRequest(url: "http://no-such-host.invalid:\(running.port)/"))
            XCTFail("expected failure")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .unavailable)
        }
        try await running.stop()
    }

    /// The server answers the first request on each connection, then drops the connection
    /// on the second one without answering: the race of a keep-alive close.
    private func makeDroppingServer() -> ScriptedServer {
        ScriptedServer { n in
            n == 1 ? .respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") : .closeWithoutResponse
        }
    }

    func testGetIsRetriedWhenReusedConnectionClosesBeforeResponse() async throws {
        let server = makeDroppingServer()
        defer { server.stop() }
        let client = HTTPClient()
        let url = "http://127.0.0.1:\(server.port)/item"
        let first = try await client.execute(HTTPClientRequest(url: url))
        XCTAssertEqual(first.body, Array("ok".utf8))
        let second = try await client.execute(HTTPClientRequest(url: url))
        XCTAssertEqual(second.body, Array("ok".utf8))
        XCTAssertEqual(server.requests.count, 3, "sent on the stale connection, then retried once")
        XCTAssertEqual(server.connections, 2)
        client.shutdown()
    }

    func testPostIsNeverRetried() async throws {
        let server = makeDroppingServer()
        defer { server.stop() }
        let client = HTTPClient()
        let request = HTTPClientRequest(method: .POST, url: "http://127.0.0.1:\(server.port)/item", body: [1, 2, 3])
        let first = try await client.execute(request)
        XCTAssertEqual(first.status, .ok)
        do {
            _ = try await client.execute(request)
            XCTFail("POST must not be retried")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .unavailable)
        }
        XCTAssertEqual(server.requests.count, 2)
        client.shutdown()
    }

    // MARK: Called from a task on an event loop

    /// Runs `body` in a handler task on an HTTP server's event loop and returns its text, or
    /// "error: CODE" for a `ClienteleError`.
    private func onEventLoop(_ body: @escaping @Sendable () async throws -> String) async throws -> String {
        let router = Router()
        router.get("/run", options: RouteOptions(runsOnEventLoop: true)) { _ in
            XCTAssertNotNil(EventLoop.current)
            do {
                return .text(try await body())
            } catch let error as ClienteleError {
                return .text("error: \(error.code)")
            }
        }
        let front = try await RunningServer.start(router)
        let connection = try front.connect()
        try connection.send("GET /run HTTP/1.1\r\nHost: x\r\n\r\n")
        let text = try connection.readResponse().text
        try await front.stop()
        return text
    }

    func testCallsFromAnEventLoopUsePooledConnectionsWithoutWorkerThreads() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient()
        let port = running.port
        let text = try await onEventLoop {
            var peers: Set<String> = []
            for _ in 0..<5 {
                let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/whoami"))
                peers.insert(String(decoding: response.body, as: UTF8.self))
            }
            let posted = try await client.execute(HTTPClientRequest(method: .POST, url: "http://127.0.0.1:\(port)/echo?q=x",
                                                                    body: Array(repeating: 7, count: 200_000)))
            let big = posted.status.code == 201 && posted.body == Array(repeating: 7, count: 200_000) && posted.headers["X-Query"] == "x"
            return "peers \(peers.count), echo \(big), on loop \(EventLoop.current != nil)"
        }
        XCTAssertEqual(text, "peers 1, echo true, on loop true")
        XCTAssertEqual(client.workers.submittedCount, 1, "only the first call, which connects, needs a worker thread")
        client.shutdown()
        try await running.stop()
    }

    func testRequestTimeoutFromAnEventLoop() async throws {
        let running = try await RunningServer.start(makeRouter())
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .milliseconds(150)))
        let port = running.port
        let text = try await onEventLoop {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/whoami"))
            let started = Date()
            do {
                _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/slow"))
                return "answered"
            } catch let error as ClienteleError {
                // A correctness bound, as in `testRequestTimeout`: `/slow` is not released yet.
                return "\(error.code) after \(Date().timeIntervalSince(started) < 15 ? "less" : "more") than 15 s"
            }
        }
        slowAnswers.signal()
        XCTAssertEqual(text, "\(ClienteleError.Code.deadlineExceeded) after less than 15 s")
        XCTAssertEqual(client.workers.submittedCount, 1)
        client.shutdown()
        try await running.stop()
    }

    func testGetFromAnEventLoopIsRetriedAndPostIsNotWhenReusedConnectionCloses() async throws {
        let server = makeDroppingServer()
        defer { server.stop() }
        let client = HTTPClient()
        let url = "http://127.0.0.1:\(server.port)/item"
        let get = try await onEventLoop {
            let first = try await client.execute(HTTPClientRequest(url: url))
            let second = try await client.execute(HTTPClientRequest(url: url))
            return String(decoding: first.body + second.body, as: UTF8.self)
        }
        XCTAssertEqual(get, "okok")
        XCTAssertEqual(server.requests.count, 3, "sent on the stale connection, then retried once")
        // The retry's connection is pooled, and its second request is dropped too.
        let post = try await onEventLoop {
            "\(try await client.execute(HTTPClientRequest(method: .POST, url: url, body: [1, 2, 3])).status)"
        }
        XCTAssertEqual(post, "error: \(ClienteleError.Code.unavailable)")
        XCTAssertEqual(server.requests.count, 4, "the POST on the stale connection is not sent again")
        client.shutdown()
    }

    func testChunkedResponseAfterInterimResponse() async throws {
        let chunked = ScriptedServer { _ in
            .respond("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n")
        }
        defer { chunked.stop() }
        let client = HTTPClient()
        let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(chunked.port)/"))
        XCTAssertEqual(response.body, Array("abcde".utf8))

        client.shutdown()
    }

    func testResponseParserFramings() throws {
        func parse(_ text: String, head: Bool = false, step: Int = 1) throws -> HTTPResponseParser {
            var parser = HTTPResponseParser(isHeadRequest: head)
            let bytes = Array(text.utf8)
            var i = 0
            while i < bytes.count {
                if try parser.feed(bytes[i..<min(bytes.count, i + step)]) { break }
                i += step
            }
            if !parser.isComplete { try parser.endOfInput() }
            return parser
        }
        let chunked = try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        XCTAssertEqual(chunked.body, Array("hello".utf8))
        XCTAssertTrue(chunked.keepAlive)
        let untilClose = try parse("HTTP/1.1 200 OK\r\n\r\nrest of stream")
        XCTAssertEqual(untilClose.body, Array("rest of stream".utf8))
        XCTAssertFalse(untilClose.keepAlive)
        let head = try parse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", head: true)
        XCTAssertTrue(head.isComplete)
        XCTAssertTrue(head.body.isEmpty)
        XCTAssertThrowsError(try parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"))
        XCTAssertThrowsError(try parse("NOT HTTP\r\n\r\n"))
        XCTAssertThrowsError(try parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n"))
        XCTAssertThrowsError(try parse("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"))
    }
}
