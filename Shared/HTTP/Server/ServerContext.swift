import Foundation
import Synchronization

/// What every event loop of one server shares: settings, routes, callbacks and counters.
final class ServerContext: Sendable {
    let configuration: HTTPServerConfiguration
    let routes: RouteTable
    let observer: (any HTTPServerObserver)?
    let errorResponse: @Sendable (any Error) -> HTTPResponse
    let parserLimits: HTTPRequestParser.Limits
    let headerTimeout: UInt64
    let idleTimeout: UInt64
    let requestTimeout: UInt64
    let gracePeriod: UInt64
    let maxPendingOutputBytes: Int
    /// How often loops look for expired deadlines, in milliseconds.
    let tickMilliseconds: Int32
    private let openConnections = Mutex(0)

    init(configuration: HTTPServerConfiguration, routes: RouteTable, observer: (any HTTPServerObserver)?,
         errorResponse: @escaping @Sendable (any Error) -> HTTPResponse) {
        self.configuration = configuration
        self.routes = routes
        self.observer = observer
        self.errorResponse = errorResponse
        var limits = HTTPRequestParser.Limits()
        limits.maxHeaderBytes = max(256, configuration.maxHeaderBytes)
        limits.maxRequestTargetBytes = max(16, configuration.maxRequestTargetBytes)
        parserLimits = limits
        headerTimeout = configuration.headerTimeout.clampedNanoseconds
        idleTimeout = configuration.idleTimeout.clampedNanoseconds
        requestTimeout = configuration.requestTimeout.clampedNanoseconds
        gracePeriod = configuration.shutdownGracePeriod.clampedNanoseconds
        maxPendingOutputBytes = max(0, configuration.maxPendingOutputBytes)
        let shortest = min(headerTimeout, idleTimeout, requestTimeout) / 4 / 1_000_000
        tickMilliseconds = Int32(min(250, max(5, shortest)))
    }

    /// Counts a new connection; `nil` when the cap is reached.
    func reserveConnection() -> Int? {
        openConnections.withLock { count in
            guard count < configuration.maxConnections else { return nil }
            count += 1
            return count
        }
    }

    /// Uncounts a closed connection; returns the new count.
    func releaseConnection() -> Int {
        openConnections.withLock { count in
            count = max(0, count - 1)
            return count
        }
    }

    /// The response to a connection over the cap, serialised once.
    static let overCapacityBytes: [UInt8] = {
        var bytes: [UInt8] = []
        let response = HTTPResponse(error: HTTPError(status: .serviceUnavailable, message: "Too many connections"))
        HTTPConnection.serialize(response, isHead: false, close: true, keepAliveHeader: false, into: &bytes)
        return bytes
    }()
}
