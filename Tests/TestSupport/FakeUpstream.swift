import Foundation
import HTTP
import Synchronization

/// An internal service played by the test: an `InProcessServer` on port 0 that answers every
/// request with what the test's `answer` returns, and records each request it got.
///
/// Until a test sets an answer, every request gets 404 with the router's "no route" error (as
/// a service without the route would). `inFlight` and `peakInFlight` count requests being
/// answered at once, so a test can see that calls were made together rather than one after
/// another without timing them.
public final class FakeUpstream: Sendable {
    /// One request the fake received.
    public struct Call: Sendable {
        public var method: HTTPMethod
        public var path: String
        public var query: String?
        public var headers: HTTPHeaders
        public var body: [UInt8]

        /// The value of query parameter `name`, percent-decoded.
        public func queryParameter(_ name: String) -> String? {
            HTTPRequest(method: method, target: path + (query.map { "?" + $0 } ?? "")).queryParameter(name)
        }

        /// The body parsed as JSON (nil when it is not JSON).
        public var json: JSONValue? { try? JSONParser.parse(body) }
    }

    public typealias Answer = @Sendable (Call) async throws -> HTTPResponse

    private struct State {
        var calls: [Call] = []
        var inFlight = 0
        var peakInFlight = 0
        var answer: Answer?
    }

    /// Shared with the route handler, which records into it.
    private final class Record: Sendable {
        let state: Mutex<State>
        init(_ state: State) { self.state = Mutex(state) }
    }

    private let record: Record
    private let server: InProcessServer
    public var baseURL: String { server.baseURL }

    /// Starts a fake answering with `answer` (nil: 404 until `answer(_:)` sets one).
    public static func start(answer: Answer? = nil) async throws -> FakeUpstream {
        let record = Record(State(answer: answer))
        let router = Router()
        let handler: HTTPHandler = { request in
            let call = Call(method: request.method, path: request.path, query: request.query, headers: request.headers,
                            body: try await request.body.collect(upTo: 16 << 20))
            let current: Answer? = record.state.withLock { state in
                state.calls.append(call)
                state.inFlight += 1
                state.peakInFlight = max(state.peakInFlight, state.inFlight)
                return state.answer
            }
            defer { record.state.withLock { $0.inFlight -= 1 } }
            guard let current else { return HTTPResponse(error: HTTPError(status: .notFound, code: HTTPError.noRouteCode, message: "no route")) }
            return try await current(call)
        }
        for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE] {
            router.add(method, "/*", options: RouteOptions(maxBodyBytes: 16 << 20), handler)
        }
        return FakeUpstream(record: record, server: try await InProcessServer.start(router, configuration: HTTPServerConfiguration(eventLoopCount: 1)))
    }

    private init(record: Record, server: InProcessServer) {
        self.record = record
        self.server = server
    }

    /// Answers every request from now on with `answer`.
    public func answer(_ answer: @escaping Answer) {
        record.state.withLock { $0.answer = answer }
    }

    /// Every request received so far, in arrival order.
    public var calls: [Call] { record.state.withLock { $0.calls } }

    /// The requests received so far whose path is `path`.
    public func calls(to path: String) -> [Call] { calls.filter { $0.path == path } }

    /// Requests being answered right now.
    public var inFlight: Int { record.state.withLock { $0.inFlight } }

    /// The most requests answered at once so far.
    public var peakInFlight: Int { record.state.withLock { $0.peakInFlight } }

    public func stop() async throws {
        try await server.stop()
    }
}
