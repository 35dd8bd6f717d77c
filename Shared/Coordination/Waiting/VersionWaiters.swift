import Dispatch
import Foundation
import Synchronization

/// Lets tasks wait until a reader has applied a key at a version (read-your-writes), or has
/// parked it there (then the write will not show until an operator acts, and the wait ends
/// at once). Keys are whatever the versions are counted per: a projection's streams
/// (`AppliedVersionWaiters` in InternalAPI).
///
/// The writer calls `published` (and `parked`) after each commit; a waiter registered for
/// that key at that version or lower is woken at once and handed the committed version,
/// without reading again. A waiter registers before it reads the current version, so a
/// commit in between is not missed.
public final class VersionWaiters<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var waiters: [Key: [Waiter]] = [:]
        /// Whether the deadline sweep is scheduled (it stops itself when nobody waits).
        var sweeping = false
    }

    /// Every waiter's mutable state is touched only holding this too.
    private let state = Mutex(State())
    private let sweepQueue = DispatchQueue(label: "clientele.version-waiters.deadlines")
    /// How often waiters past their deadline are let go: a wait may last up to this much
    /// longer than its timeout.
    static var sweepIntervalMilliseconds: Int { 10 }

    /// How a wait ended.
    private enum Wake {
        /// A commit reached the version: this one.
        case applied(Int64)
        /// A commit parked the key at this version.
        case parked(Int64)
        /// Read the version again (tables were swapped).
        case recheck
        /// The deadline passed or the task was cancelled.
        case expired
    }

    /// One waiting request. Its continuation is resumed exactly once: by a publish, a
    /// recheck, the deadline sweep or cancellation, whichever takes it out of `waiters` (or
    /// finds `wake` set before it suspended) first.
    private final class Waiter: @unchecked Sendable {
        // @unchecked Sendable: `continuation` and `wake` are only touched holding the owner's `state`.
        let version: Int64
        let deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Wake, Never>?
        var wake: Wake?

        init(version: Int64, deadline: ContinuousClock.Instant) {
            self.version = version
            self.deadline = deadline
        }
    }

    public init() {}

    /// Wakes the waiters these committed versions satisfy.
    public func published(_ versions: some Collection<(key: Key, version: Int64)>) {
        wake(versions, as: Wake.applied)
    }

    /// Wakes the waiters of these keys at these versions or lower: the commit parked them.
    public func parked(_ versions: some Collection<(key: Key, version: Int64)>) {
        wake(versions, as: Wake.parked)
    }

    /// Wakes, with `wake(version)`, each waiter of these keys at these versions or lower.
    private func wake(_ versions: some Collection<(key: Key, version: Int64)>, as wake: (Int64) -> Wake) {
        guard !versions.isEmpty else { return }
        let ready: [(CheckedContinuation<Wake, Never>, Wake)] = state.withLock { state in
            guard !state.waiters.isEmpty else { return [] }
            var ready: [(CheckedContinuation<Wake, Never>, Wake)] = []
            for committed in versions {
                guard let list = state.waiters[committed.key] else { continue }
                var remaining: [Waiter] = []
                for waiter in list {
                    if waiter.version <= committed.version {
                        if let continuation = Self.settle(waiter, wake(committed.version)) {
                            ready.append((continuation, wake(committed.version)))
                        }
                    } else {
                        remaining.append(waiter)
                    }
                }
                state.waiters[committed.key] = remaining.isEmpty ? nil : remaining
            }
            return ready
        }
        for (continuation, woken) in ready { continuation.resume(returning: woken) }
    }

    /// Wakes every waiter to read the version again (after a rebuild swapped in new tables,
    /// whose versions were never published one by one).
    public func recheckAll() {
        let all: [CheckedContinuation<Wake, Never>] = state.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters.values.flatMap { $0.compactMap { Self.settle($0, .recheck) } }
        }
        for continuation in all { continuation.resume(returning: .recheck) }
    }

    /// Returns what the reader holds once its applied version is `version` or later, or the
    /// key is parked at `version` or later; else what it holds when `timeout` passes (an
    /// applied version that may be lower, or nil if the key is unknown).
    ///
    /// Waits hold no timer of their own: one sweep every `sweepIntervalMilliseconds`, running
    /// only while someone waits, lets go of those past their deadline (a timer per wait,
    /// cancelled on nearly every write, cost the projection a noticeable share of its CPU under
    /// load; measured: docs/performance.md, design measurements).
    ///
    /// - Parameter current: reads what the reader holds now.
    public func wait(for key: Key, version: Int64, timeout: Duration,
                     current: @Sendable () async throws -> HeldVersion) async throws -> HeldVersion {
        let deadline = ContinuousClock.now + timeout
        while true {
            let waiter = Waiter(version: version, deadline: deadline)
            let startSweep: Bool = state.withLock { state in
                state.waiters[key, default: []].append(waiter)
                defer { state.sweeping = true }
                return !state.sweeping
            }
            if startSweep { scheduleSweep() }
            let held: HeldVersion
            do {
                held = try await current()
            } catch {
                remove(waiter, key: key)
                throw error
            }
            if held.settles(version) {
                remove(waiter, key: key)
                return held
            }
            if ContinuousClock.now >= deadline || Task.isCancelled {
                remove(waiter, key: key)
                return held
            }
            let wake = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Wake, Never>) in
                    let now: Wake? = state.withLock { _ in
                        if let wake = waiter.wake { return wake }
                        waiter.continuation = continuation
                        return nil
                    }
                    if let now { continuation.resume(returning: now) }
                }
            } onCancel: {
                expire(waiter, key: key)
            }
            switch wake {
            case .applied(let applied): return HeldVersion(applied: applied)
            case .parked(let parked): return HeldVersion(applied: held.applied, parked: parked)
            case .expired: return held
            case .recheck: continue
            }
        }
    }

    /// Waiters currently registered (for tests and metrics).
    public var count: Int { state.withLock { state in state.waiters.values.reduce(0) { $0 + $1.count } } }

    /// Marks `waiter` woken by `wake`; returns its continuation to resume (outside the lock)
    /// if it is suspended. Called holding `state`, on a waiter just taken out of `waiters`.
    private static func settle(_ waiter: Waiter, _ wake: Wake) -> CheckedContinuation<Wake, Never>? {
        guard waiter.wake == nil else { return nil }
        waiter.wake = wake
        defer { waiter.continuation = nil }
        return waiter.continuation
    }

    private func remove(_ waiter: Waiter, key: Key) {
        state.withLock { state in
            guard var list = state.waiters[key] else { return }
            list.removeAll { $0 === waiter }
            state.waiters[key] = list.isEmpty ? nil : list
        }
    }

    /// Takes `waiter` out and wakes it as expired (cancellation).
    private func expire(_ waiter: Waiter, key: Key) {
        let continuation: CheckedContinuation<Wake, Never>? = state.withLock { state in
            if var list = state.waiters[key] {
                list.removeAll { $0 === waiter }
                state.waiters[key] = list.isEmpty ? nil : list
            }
            return Self.settle(waiter, .expired)
        }
        continuation?.resume(returning: .expired)
    }

    private func scheduleSweep() {
        sweepQueue.asyncAfter(deadline: .now() + .milliseconds(Self.sweepIntervalMilliseconds)) { [weak self] in
            self?.sweep()
        }
    }

    /// Lets go of every waiter past its deadline; schedules the next sweep while any remain.
    private func sweep() {
        let now = ContinuousClock.now
        let (expired, again): ([CheckedContinuation<Wake, Never>], Bool) = state.withLock { state in
            var expired: [CheckedContinuation<Wake, Never>] = []
            for (key, list) in state.waiters {
                guard list.contains(where: { $0.deadline <= now }) else { continue }
                var remaining: [Waiter] = []
                for waiter in list {
                    if waiter.deadline <= now {
                        if let continuation = Self.settle(waiter, .expired) { expired.append(continuation) }
                    } else {
                        remaining.append(waiter)
                    }
                }
                state.waiters[key] = remaining.isEmpty ? nil : remaining
            }
            state.sweeping = !state.waiters.isEmpty
            return (expired, state.sweeping)
        }
        for continuation in expired { continuation.resume(returning: .expired) }
        if again { scheduleSweep() }
    }
}
