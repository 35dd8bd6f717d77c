import Dispatch
import Foundation
import InternalAPI
import ServiceRuntime
import Synchronization

/// A projection's recent commits as a feed the gateway follows (`AppliedPage`), so that it
/// learns which writes became visible with one request per commit, not one per write.
///
/// Each commit that applied something gets the next sequence number; the feed keeps the
/// latest commits, up to `capacity` stream versions in all (at least the last commit). A read
/// after the last commit waits for the next one, up to its timeout. A read from another epoch
/// (the projection restarted), from before what is kept, or from before a `reset` (a rebuild
/// swapped its tables in) answers an incomplete page: see `AppliedPage`.
public final class AppliedFeed: Sendable {
    /// The most stream versions one page carries; a follower behind by more reads again.
    public static let maxPerPage = 5_000
    public let epoch = UUID().lowercasedString
    private let capacity: Int
    private let state: Mutex<State>

    private struct State {
        /// Kept commits, oldest first: commit `first + i` is `commits[i]`.
        var commits: [Commit] = []
        var first: UInt64 = 1
        /// Stream versions in `commits`.
        var kept = 0
        /// A read from before this sequence number is incomplete (the last reset).
        var resetAt: UInt64 = 1
        /// Reads waiting for the next commit, by id.
        var waiting: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var waitCounter: UInt64 = 0

        var next: UInt64 { first + UInt64(commits.count) }
    }

    /// - Parameter capacity: how many stream versions to keep (65,536 by default: a minute
    ///   of writes at 1,000/s, far longer than a follower's pause between reads).
    public init(capacity: Int = 65_536) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State())
    }

    /// One commit's applied and parked stream versions.
    private struct Commit {
        var applied: [AppliedVersion]
        var parked: [AppliedVersion]
        var count: Int { applied.count + parked.count }
    }

    /// Adds a commit's applied (and parked) versions and wakes the waiting reads.
    public func published(_ versions: [AppliedVersion], parked: [AppliedVersion] = []) {
        guard !versions.isEmpty || !parked.isEmpty else { return }
        let woken = state.withLock { state in
            let commit = Commit(applied: versions, parked: parked)
            state.commits.append(commit)
            state.kept += commit.count
            while state.kept > capacity && state.commits.count > 1 {
                state.kept -= state.commits.removeFirst().count
                state.first += 1
            }
            return Self.takeWaiting(&state)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Makes every read from before now incomplete: the read model changed without commits
    /// of its own (a rebuild's tables were swapped in).
    public func reset() {
        let woken = state.withLock { state in
            state.first += UInt64(state.commits.count)
            state.commits.removeAll()
            state.kept = 0
            // The reset takes a sequence number, so that a follower already at the end is told.
            state.first += 1
            state.resetAt = state.first
            return Self.takeWaiting(&state)
        }
        for continuation in woken { continuation.resume() }
    }

    /// The page after `after` of feed `epoch` (nil: start following; an incomplete page
    /// with the current end), or nil when nothing was committed after it yet.
    public func page(after: UInt64?, epoch: String?) -> AppliedPage? {
        state.withLock { current in Self.page(after: after, epoch: epoch, feedEpoch: self.epoch, current) }
    }

    /// Reads waiting for the next commit right now (for tests: they act on a read that is
    /// really waiting instead of sleeping).
    public var waitingReads: Int { state.withLock { $0.waiting.count } }

    /// Like `page(after:epoch:)`, but waits up to `timeout` for a commit; after the timeout,
    /// an empty complete page with the same cursor.
    public func read(after: UInt64?, epoch: String?, timeout: Duration) async -> AppliedPage {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let page = page(after: after, epoch: epoch) { return page }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero || Task.isCancelled {
                return AppliedPage(epoch: self.epoch, next: after ?? 0, complete: true, applied: [])
            }
            await waitForCommit(after: after, epoch: epoch, upTo: remaining)
        }
    }

    /// Returns after the next commit or reset, after `timeout`, or on cancellation.
    /// A commit (or reset) published after the caller's page check and before this wait
    /// registers is not missed: registering checks for it under the same lock.
    private func waitForCommit(after: UInt64?, epoch: String?, upTo timeout: Duration) async {
        let id = state.withLock { state in
            state.waitCounter += 1
            return state.waitCounter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if Task.isCancelled { return true }
                    if Self.page(after: after, epoch: epoch, feedEpoch: self.epoch, state) != nil { return true }
                    state.waiting[id] = continuation
                    return false
                }
                if resumeNow {
                    continuation.resume()
                    return
                }
                // Few followers wait at once (one per gateway), so a timer each is cheap.
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(max(0, timeout.inNanoseconds)))) { [weak self] in
                    self?.resumeWaiting(id)
                }
            }
        } onCancel: {
            resumeWaiting(id)
        }
    }

    private func resumeWaiting(_ id: UInt64) {
        state.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
    }

    private static func takeWaiting(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        defer { state.waiting.removeAll() }
        return Array(state.waiting.values)
    }

    private static func page(after: UInt64?, epoch: String?, feedEpoch: String, _ state: State) -> AppliedPage? {
        guard let after, epoch == feedEpoch, after >= state.resetAt, after >= state.first, after <= state.next else {
            return AppliedPage(epoch: feedEpoch, next: state.next, complete: false, applied: [])
        }
        guard after < state.next else { return nil }
        var applied: [AppliedVersion] = []
        var parked: [AppliedVersion] = []
        var cursor = after
        while cursor < state.next {
            let commit = state.commits[Int(cursor - state.first)]
            if applied.count + parked.count > 0 && applied.count + parked.count + commit.count > maxPerPage { break }
            applied += commit.applied
            parked += commit.parked
            cursor += 1
        }
        return AppliedPage(epoch: feedEpoch, next: cursor, complete: true, applied: applied, parked: parked)
    }
}
