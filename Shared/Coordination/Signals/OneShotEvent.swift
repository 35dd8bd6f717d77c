import Synchronization

/// Something that happens once, which any number of tasks can wait for.
///
/// Waiting is cancellation-aware: a cancelled waiter returns at once (check
/// `Task.isCancelled` or `isSignaled` afterwards to tell which).
public final class OneShotEvent: Sendable {
    private struct State {
        var signaled = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var handlers: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var isSignaled: Bool { state.withLock { $0.signaled } }

    /// Marks the event as happened: wakes every waiter and runs every handler, once.
    public func signal() {
        let (continuations, callbacks): ([CheckedContinuation<Void, Never>], [@Sendable () -> Void]) = state.withLock { state in
            guard !state.signaled else { return ([], []) }
            state.signaled = true
            defer { state.waiters.removeAll(); state.handlers.removeAll() }
            return (Array(state.waiters.values), state.handlers)
        }
        for continuation in continuations { continuation.resume() }
        for callback in callbacks { callback() }
    }

    /// Runs `handler` when the event happens (at once if it already has).
    public func onSignal(_ handler: @escaping @Sendable () -> Void) {
        let runNow: Bool = state.withLock { state in
            if state.signaled { return true }
            state.handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// Returns when the event has happened or the calling task is cancelled.
    public func wait() async {
        let id: Int = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { state in
                    if state.signaled || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { $0.waiters.removeValue(forKey: id) }
            continuation?.resume()
        }
    }
}
