import Foundation

/// Per-route request handling options.
public struct RouteOptions: Sendable {
    /// The largest accepted body; larger bodies are answered with 413 before they are read
    /// (Content-Length) or as soon as the limit is passed (chunked).
    public var maxBodyBytes: Int
    /// Whether the handler receives the body as a stream instead of buffered bytes.
    public var streamsBody: Bool
    /// Whether the async handler's task runs on the event-loop thread that read the request,
    /// instead of on Swift's global pool: two thread hand-offs fewer per request.
    ///
    /// Only for short handlers: it may await anything (the loop serves other connections
    /// meanwhile), but whatever it does synchronously (CPU work, a database statement run on the
    /// calling thread) holds up every other connection of that loop until it returns.
    public var runsOnEventLoop: Bool

    public init(maxBodyBytes: Int = 1 << 20, streamsBody: Bool = false, runsOnEventLoop: Bool = false) {
        self.maxBodyBytes = maxBodyBytes
        self.streamsBody = streamsBody
        self.runsOnEventLoop = runsOnEventLoop
    }
}

/// An asynchronous request handler, run in Swift concurrency.
public typealias HTTPHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse

/// A synchronous handler run on the event-loop thread; it must never block.
public typealias HTTPInlineHandler = @Sendable (HTTPRequest) -> HTTPResponse

/// A registered handler of either kind.
enum RouteHandler: Sendable {
    case async(HTTPHandler)
    case inline(HTTPInlineHandler)
}
