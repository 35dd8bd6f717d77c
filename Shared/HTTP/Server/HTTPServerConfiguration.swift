import Foundation

/// Listening address, limits and timeouts of an `HTTPServer`.
public struct HTTPServerConfiguration: Sendable {
    /// A numeric IPv4 or IPv6 address, or "localhost".
    public var host: String
    /// 0 picks an ephemeral port; read it with `HTTPServer.boundPort()`.
    public var port: Int
    /// Event-loop threads, each with its own SO_REUSEPORT listener.
    public var eventLoopCount: Int
    /// Open connections beyond this are answered 503 and closed at once.
    public var maxConnections: Int
    /// Size of the header section (431 beyond).
    public var maxHeaderBytes: Int
    /// Length of the request-target (414 beyond).
    public var maxRequestTargetBytes: Int
    /// Time to receive a complete request head once its first byte arrived, and the longest
    /// pause while receiving a body (408 beyond).
    public var headerTimeout: Duration
    /// How long a keep-alive connection may stay idle between requests, and how long a
    /// client may leave our responses unread. While responses wait unsent, only the client
    /// taking them counts as activity, not its sending more.
    public var idleTimeout: Duration
    /// Time to receive a complete request body after its head (408 beyond). Time the
    /// server waits for its own handler is not limited.
    public var requestTimeout: Duration
    /// How long a graceful shutdown waits for in-flight requests before closing everything.
    public var shutdownGracePeriod: Duration
    /// Unsent response bytes a connection may have queued: beyond this it is neither read
    /// nor starts requests until its client has taken all but half of them.
    public var maxPendingOutputBytes: Int

    public init(host: String = "127.0.0.1", port: Int = 0,
                eventLoopCount: Int = ProcessInfo.processInfo.activeProcessorCount,
                maxConnections: Int = 10_000, maxHeaderBytes: Int = 16 * 1024,
                maxRequestTargetBytes: Int = 8 * 1024, headerTimeout: Duration = .seconds(10),
                idleTimeout: Duration = .seconds(60), requestTimeout: Duration = .seconds(60),
                shutdownGracePeriod: Duration = .seconds(10), maxPendingOutputBytes: Int = 256 * 1024) {
        self.host = host
        self.port = port
        self.eventLoopCount = eventLoopCount
        self.maxConnections = maxConnections
        self.maxHeaderBytes = maxHeaderBytes
        self.maxRequestTargetBytes = maxRequestTargetBytes
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.shutdownGracePeriod = shutdownGracePeriod
        self.maxPendingOutputBytes = maxPendingOutputBytes
    }
}

/// Receives request and connection events from the server, for metrics and logs.
///
/// Called on event-loop threads: implementations must be fast and never block.
public protocol HTTPServerObserver: Sendable {
    /// A response was queued for `request` (`request.route` is the matched pattern, `nil`
    /// for 404s); `duration` runs from the complete head to the queued response.
    /// Requests rejected before a head was parsed (400, 408, 414, 431 ...) are not reported.
    func requestCompleted(_ request: HTTPRequest, status: HTTPStatus, duration: Duration)
    /// The number of open connections changed to `open`.
    func connectionCountChanged(_ open: Int)
}
