import Errors
import Foundation
import Synchronization

/// Where password hashing (PBKDF2 at 600,000 rounds: a few hundred milliseconds of one core
/// each) runs: on threads of its own, at most `maxRunning` at once, at most `maxWaiting` more
/// queued behind them in arrival order. A call beyond that is refused at once with
/// `PasswordHashQueueFull` (503 with `Retry-After: 1`) instead of queueing work no core can
/// do: without a bound, one caller's request budget keeps every core busy hashing and
/// everything else waits.
///
/// A process needs one, since the cores are the process's (the gateway's `IdentityStore`
/// holds it): by default one hash running per core and three more waiting per core
/// (`init(threads:)`), so a waiting call starts within about a second. Work runs on neither
/// Swift's cooperative threads nor Dispatch's shared ones: a slot's thread runs jobs while
/// any wait and ends when none does. A waiting call whose task is cancelled still runs when its
/// turn comes (the queue is short, and the bound holds either way).
public final class PasswordHashQueue: Sendable {
    /// Hashes waiting per running one, at most.
    public static let waitingPerThread = 3

    /// Hashes running at once, at most.
    public let maxRunning: Int
    /// Hashes waiting for a free slot, at most.
    public let maxWaiting: Int

    /// What the queue has done since it was made, and holds now.
    public struct Counts: Sendable, Equatable {
        /// Hashes started (each one PBKDF2 derivation).
        public var started: Int = 0
        /// Calls refused because the queue was full.
        public var refused: Int = 0
        public var running: Int = 0
        public var waiting: Int = 0

        public init(started: Int = 0, refused: Int = 0, running: Int = 0, waiting: Int = 0) {
            self.started = started
            self.refused = refused
            self.running = running
            self.waiting = waiting
        }
    }

    private enum Admission { case now, queued, refused }

    /// Computes a result and returns what hands it to its caller.
    private typealias Job = @Sendable () -> @Sendable () -> Void

    private struct State {
        var counts = Counts()
        var queue: [Job] = []
    }

    private let state = Mutex(State())

    /// `threads` hashes at once (0: one per processor core), `waitingPerThread` times as many
    /// waiting.
    public convenience init(threads: Int = 0) {
        let running = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        self.init(maxRunning: running, maxWaiting: Self.waitingPerThread * running)
    }

    public init(maxRunning: Int, maxWaiting: Int) {
        precondition(maxRunning > 0 && maxWaiting >= 0, "a password hash queue needs a slot")
        self.maxRunning = maxRunning
        self.maxWaiting = maxWaiting
    }

    public var counts: Counts { state.withLock { $0.counts } }

    /// `work`'s result, computed on a slot's thread once one is free; throws
    /// `PasswordHashQueueFull` at once when `maxRunning` run and `maxWaiting` wait already.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let job: Job = {
                let result = work()
                return { continuation.resume(returning: result) }
            }
            let admission = state.withLock { state -> Admission in
                if state.counts.running < maxRunning {
                    state.counts.running += 1
                    state.counts.started += 1
                    return .now
                }
                guard state.queue.count < maxWaiting else {
                    state.counts.refused += 1
                    return .refused
                }
                state.queue.append(job)
                state.counts.waiting = state.queue.count
                return .queued
            }
            switch admission {
            case .now: Thread { self.runJobs(from: job) }.start()
            case .queued: break
            case .refused: continuation.resume(throwing: PasswordHashQueueFull())
            }
        }
    }

    /// A slot's thread: runs `first`, then the waiting jobs in turn, and ends (freeing the
    /// slot) when none waits. Each result reaches its caller after the counts show its job
    /// done.
    private func runJobs(from first: @escaping Job) {
        var job = first
        while true {
            let deliver = job()
            let next = state.withLock { state -> Job? in
                guard !state.queue.isEmpty else {
                    state.counts.running -= 1
                    return nil
                }
                state.counts.started += 1
                let next = state.queue.removeFirst()
                state.counts.waiting = state.queue.count
                return next
            }
            deliver()
            guard let next else { return }
            job = next
        }
    }
}

/// Every password-hash slot is taken: 503 (`unavailable`) with `Retry-After: 1`.
public struct PasswordHashQueueFull: Error, ClienteleErrorConvertible, RetryAfterAdvising {
    public init() {}

    public var retryAfterSeconds: Int { 1 }

    public var clienteleError: ClienteleError {
        ClienteleError(.unavailable, "Too many password checks in progress; retry in 1 second")
    }
}
