import Coordination

/// A long-running part of a process: an HTTP server, a consumer loop, an outbox relay.
///
/// `run()` does the work until the service is asked to stop, then finishes what it has in
/// flight and returns. It learns of the stop through `GracefulShutdown` (graceful) or task
/// cancellation (the grace period ran out); a service started by `ServiceGroup` gets both.
public protocol Service: Sendable {
    /// A short name for logs.
    var name: String { get }
    func run() async throws
}

/// The graceful-shutdown signal of the service running in the current task.
///
/// `ServiceGroup` sets it for each service's task. Outside a group (in tests) there is none,
/// and waiting for it only ends with cancellation.
public enum GracefulShutdown {
    @TaskLocal public static var current: OneShotEvent?

    /// Whether the current service has been asked to stop.
    public static var isRequested: Bool { current?.isSignaled ?? false }

    /// Returns when the current service is asked to stop, or its task is cancelled.
    public static func wait() async {
        if let current {
            await current.wait()
        } else {
            // No group: only cancellation ends this.
            await OneShotEvent().wait()
        }
    }

    /// Sleeps for `duration`, returning early when the current service is asked to stop or
    /// its task is cancelled: the pause between rounds of a periodic service.
    public static func sleep(for duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await wait() }
            await group.next()
            group.cancelAll()
        }
    }

    /// Runs `handler` when the current service is asked to stop; nothing if there is no group.
    public static func onRequest(_ handler: @escaping @Sendable () -> Void) {
        current?.onSignal(handler)
    }
}
