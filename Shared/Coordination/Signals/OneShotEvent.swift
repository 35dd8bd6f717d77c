import Foundation

/// Something that happens once, which any number of tasks can wait for.
///
/// Waiting is cancellation-aware: a cancelled waiter returns at once (check
/// `Task.isCancelled` or `isSignaled` afterwards to tell which).
public final class OneShotEvent: @unchecked Sendable {
    // @unchecked Sendable: `signaled`, `waiters` and `handlers` are only touched under `lock`.
    private let lock = NSLock()
    private var signaled = false
    private var nextWaiter = 0
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var handlers: [@Sendable () -> Void] = []

    public init() {}

    public var isSignaled: Bool { lock.withLock { signaled } }

    /// Marks the event as happened: wakes every waiter and runs every handler, once.
    public func signal() {
        let (continuations, callbacks): ([CheckedContinuation<Void, Never>], [@Sendable () -> Void]) = lock.withLock {
            guard !signaled else { return ([], []) }
            signaled = true
            defer { waiters.removeAll(); handlers.removeAll() }
            return (Array(waiters.values), handlers)
        }
        for continuation in continuations { continuation.resume() }
        for callback in callbacks { callback() }
    }

    /// Runs `handler` when the event happens (at once if it already has).
    public func onSignal(_ handler: @escaping @Sendable () -> Void) {
        let runNow: Bool = lock.withLock {
            if signaled { return true }
            handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// Returns when the event has happened or the calling task is cancelled.
    public func wait() async {
        let id: Int = lock.withLock { nextWaiter += 1; return nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    if signaled || Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = lock.withLock { waiters.removeValue(forKey: id) }
            continuation?.resume()
        }
    }
}
