import Errors
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// An HTTP/1.1 server: epoll event-loop threads in front of a `Router`.
///
/// Each event loop owns one SO_REUSEPORT listener, so the kernel spreads connections over
/// the loops; an idle keep-alive connection costs a few kilobytes and no thread. Async
/// handlers run in Swift concurrency; inline handlers run on the loop thread.
/// One server runs once: `run()` a second time throws.
public final class HTTPServer: Sendable {
    private enum Phase {
        case idle, running, stopped
    }

    private struct State {
        var phase = Phase.idle
        var port: Int?
        var startFailure: (any Error)?
        var portWaiters: [CheckedContinuation<Int, any Error>] = []
        var loops: [EventLoop] = []
        var shutdownRequested = false
        var runningLoops = 0
        var completion: CheckedContinuation<Void, Never>?
    }

    public let configuration: HTTPServerConfiguration
    private let router: Router
    private let observer: (any HTTPServerObserver)?
    private let errorResponse: @Sendable (any Error) -> HTTPResponse
    private let state = Mutex(State())

    /// - Parameter errorResponse: turns errors thrown by handlers (and protocol errors) into
    ///   responses; the default is the project-wide mapping `HTTPResponse(error:)`.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), router: Router,
                observer: (any HTTPServerObserver)? = nil,
                errorResponse: @escaping @Sendable (any Error) -> HTTPResponse = HTTPResponse.init(error:)) {
        self.configuration = configuration
        self.router = router
        self.observer = observer
        self.errorResponse = errorResponse
    }

    /// Binds, serves until a graceful shutdown completes, then returns.
    ///
    /// Cancelling the calling task starts a graceful shutdown. Throws
    /// `ClienteleError(.unavailable)` when the address cannot be bound.
    public func run() async throws {
        let mayStart = state.withLock { s -> Bool in
            guard s.phase == .idle else { return false }
            s.phase = .running
            return true
        }
        guard mayStart else { throw ClienteleError(.internal, "HTTPServer.run() called twice") }

        let loops: [EventLoop]
        let port: Int
        do {
            (loops, port) = try makeLoops()
        } catch {
            let failure = ClienteleError(.unavailable, "Cannot listen on \(configuration.host):\(configuration.port)",
                                         internalDetail: String(describing: error))
            let waiters = state.withLock { s -> [CheckedContinuation<Int, any Error>] in
                s.phase = .stopped
                s.startFailure = failure
                defer { s.portWaiters = [] }
                return s.portWaiters
            }
            for waiter in waiters { waiter.resume(throwing: failure) }
            throw failure
        }

        await withTaskCancellationHandler {
            await withCheckedContinuation { (completion: CheckedContinuation<Void, Never>) in
                let (waiters, stopNow) = state.withLock { s -> ([CheckedContinuation<Int, any Error>], Bool) in
                    s.loops = loops
                    s.port = port
                    s.runningLoops = loops.count
                    s.completion = completion
                    defer { s.portWaiters = [] }
                    return (s.portWaiters, s.shutdownRequested)
                }
                for (index, loop) in loops.enumerated() {
                    let thread = Thread { loop.run() }
                    thread.name = "http-loop-\(index)"
                    thread.start()
                }
                for waiter in waiters { waiter.resume(returning: port) }
                if stopNow {
                    for loop in loops { loop.execute { loop.beginShutdown() } }
                }
            }
        } onCancel: {
            self.beginGracefulShutdown()
        }
        state.withLock { s in
            s.phase = .stopped
            s.loops = []
        }
    }

    /// The port the server listens on, once `run()` has bound it.
    public func boundPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            enum Now { case port(Int), failure(any Error), wait }
            let now: Now = state.withLock { s in
                if let port = s.port { return .port(port) }
                if let failure = s.startFailure { return .failure(failure) }
                s.portWaiters.append(continuation)
                return .wait
            }
            switch now {
            case .port(let port): continuation.resume(returning: port)
            case .failure(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    /// Starts a graceful shutdown; thread-safe, idempotent, returns at once.
    ///
    /// Listeners close, idle connections close, in-flight requests finish and are answered
    /// with `Connection: close`; after `shutdownGracePeriod` the rest is closed. `run()`
    /// returns when every connection is gone. Handler tasks still running then are not
    /// cancelled; their responses are dropped.
    public func beginGracefulShutdown() {
        let loops = state.withLock { s -> [EventLoop] in
            s.shutdownRequested = true
            return s.loops
        }
        for loop in loops { loop.execute { loop.beginShutdown() } }
    }

    private func makeLoops() throws -> ([EventLoop], Int) {
        guard let address = Socket.Address(host: configuration.host, port: configuration.port) else {
            throw ClienteleError(.invalidArgument, "Invalid listen address \(configuration.host):\(configuration.port)")
        }
        let context = ServerContext(configuration: configuration, routes: router.table, observer: observer,
                                    errorResponse: errorResponse)
        var listeners: [Int32] = []
        var loops: [EventLoop] = []
        do {
            let first = try Socket.listen(address)
            listeners.append(first)
            guard let port = Socket.localPort(first), let shared = Socket.Address(host: configuration.host, port: port) else {
                throw ClienteleError(.internal, "Cannot read bound port")
            }
            for _ in 1..<max(1, configuration.eventLoopCount) {
                listeners.append(try Socket.listen(shared))
            }
            for listener in listeners {
                loops.append(try EventLoop(context: context, listenFD: listener) { [weak self] in self?.loopExited() })
            }
            return (loops, port)
        } catch {
            for listener in listeners.dropFirst(loops.count) { close(listener) }
            // Loops already made own their listener and were never started.
            for loop in loops { loop.closeUnstarted() }
            throw error
        }
    }

    private func loopExited() {
        let completion = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.runningLoops -= 1
            guard s.runningLoops == 0 else { return nil }
            defer { s.completion = nil }
            return s.completion
        }
        completion?.resume()
    }
}
