import Dispatch
import Foundation
import Synchronization

/// Tells the outbox relay that new entries were committed, so it does not wait for its
/// next poll. A signal while nobody waits is remembered (once), so none is missed.
public final class RelayWakeup: Sendable {
    private struct State {
        var pending = false
        var generation = 0
        var waiter: (generation: Int, continuation: CheckedContinuation<Void, Never>)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the relay (or makes its next wait return at once).
    public func signal() {
        let continuation: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }

    /// Whether a wait is under way (suspended until a signal, its timeout or cancellation):
    /// lets tests act on a waiter that is really waiting, without a sleep.
    public var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// Forgets a signal given before now: the relay calls it before reading the outbox,
    /// whose read then sees every entry committed before that signal (signals follow commits),
    /// so the signal would only cost a round that finds nothing.
    public func clear() {
        state.withLock { $0.pending = false }
    }

    /// Returns after a signal, after `timeout`, or when the task is cancelled, whichever
    /// comes first. One waiter at a time.
    public func wait(upTo timeout: Duration) async {
        let current: Int = state.withLock { state in
            state.generation += 1
            return state.generation
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { state in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = (current, continuation)
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
        let continuation: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard let waiter = state.waiter, waiter.generation == generation else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }
}
