import Dispatch
import Foundation

/// Tells the outbox relay that new entries were committed, so it does not wait for its
/// next poll. A signal while nobody waits is remembered (once), so none is missed.
public final class RelayWakeup: @unchecked Sendable {
    // @unchecked Sendable: `pending`, `waiter` and `generation` are only touched under `lock`.
    private let lock = NSLock()
    private var pending = false
    private var generation = 0
    private var waiter: (generation: Int, continuation: CheckedContinuation<Void, Never>)?

    public init() {}

    /// Wakes the relay (or makes its next wait return at once).
    public func signal() {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            guard let waiter else {
                pending = true
                return nil
            }
            self.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }

    /// Forgets a signal given before now: the relay calls it before reading the outbox,
    /// whose read then sees every entry committed before that signal (signals follow commits),
    /// so the signal would only cost a round that finds nothing.
    public func clear() {
        lock.withLock { pending = false }
    }

    /// Returns after a signal, after `timeout`, or when the task is cancelled, whichever
    /// comes first. One waiter at a time.
    public func wait(upTo timeout: Duration) async {
        let current: Int = lock.withLock {
            generation += 1
            return generation
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    if pending || Task.isCancelled {
                        pending = false
                        return true
                    }
                    waiter = (current, continuation)
                    return false
                }
                if resumeNow {
                    continuation.resume()
                    return
                }
                let (seconds, attoseconds) = timeout.components
                let nanoseconds = Int(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [weak self] in
                    self?.resume(generation: current)
                }
            }
        } onCancel: {
            resume(generation: current)
        }
    }

    /// Resumes the waiter if it is still the one from `generation`.
    private func resume(generation: Int) {
        let continuation: CheckedContinuation<Void, Never>? = lock.withLock {
            guard let waiter, waiter.generation == generation else { return nil }
            self.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }
}
