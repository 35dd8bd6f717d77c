import Foundation
import Synchronization

/// Per-principal request budgets kept in this gateway's memory: O(1) per request, bounded
/// memory, and no global lock.
///
/// The algorithm is GCRA, the token bucket kept as one number per principal: its
/// "theoretical arrival time" (TAT), the instant at which its bucket would be full again.
/// Each admitted request pushes the TAT one emission interval (`window / requests`) later;
/// a request is refused when that would put the TAT more than `requests` intervals ahead of
/// now. A principal whose TAT has passed has a full bucket, which is exactly what a
/// principal never seen has, so such entries are dropped without changing any answer.
///
/// Principals are spread over `shardCount` shards, each behind its own mutex held only for
/// one dictionary lookup and update, so concurrent requests rarely wait on each other. A
/// shard holds at most `capacity / shardCount` principals: when it is full, entries whose
/// bucket is full again are dropped; if none can be (that many principals all active within
/// one window), the new principal is admitted without being counted until room appears.
///
/// With several gateway instances each counts only the requests it serves: a principal's
/// effective budget is the limit times the instances its requests reach.
final class RateLimiter: Sendable {
    let policy: RateLimitPolicy
    /// Most principals tracked at once (over all shards).
    let capacity: Int
    static let shardCount = 64

    /// Nanoseconds one request costs: `window / requests`, rounded down.
    private let interval: Int64
    /// Nanoseconds of a full bucket: `requests` intervals (at most the window).
    private let burst: Int64
    private let shardCapacity: Int
    private let origin: ContinuousClock.Instant
    private let shards: [Shard]

    private final class Shard: Sendable {
        struct State {
            /// Each tracked principal's TAT, in nanoseconds since `origin`.
            var arrivals: [RateLimitPrincipal: Int64] = [:]
            /// No TAT is earlier than this (TATs only grow, new ones lower it), so a sweep
            /// before it would free nothing.
            var nextSweep: Int64 = .max
        }

        let state = Mutex(State())
    }

    init(policy: RateLimitPolicy, capacity: Int = 100_000, origin: ContinuousClock.Instant = .now) {
        self.policy = policy
        self.capacity = max(capacity, Self.shardCount)
        self.interval = max(1, Int64(policy.windowSeconds) * 1_000_000_000 / Int64(policy.requests))
        self.burst = interval * Int64(policy.requests)
        self.shardCapacity = self.capacity / Self.shardCount
        self.origin = origin
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Counts one request of `principal` at `now` and says whether it is admitted.
    func admit(_ principal: RateLimitPrincipal, at now: ContinuousClock.Instant = .now) -> RateLimitDecision {
        let t = nanoseconds(since: origin, to: now)
        return shard(of: principal).state.withLock { state -> RateLimitDecision in
            let known = state.arrivals[principal]
            let start = max(known ?? t, t)
            let next = start + interval
            guard next - t <= burst else {
                return decision(allowed: false, ahead: start - t, retryAfter: next - burst - t)
            }
            if known == nil, state.arrivals.count >= shardCapacity, !sweep(&state, now: t) {
                return decision(allowed: true, ahead: interval, retryAfter: 0)
            }
            if known == nil { state.nextSweep = min(state.nextSweep, next) }
            state.arrivals[principal] = next
            return decision(allowed: true, ahead: next - t, retryAfter: 0)
        }
    }

    /// Gives `principal` back one request `admit` counted (it turned out not to count): its
    /// TAT moves one interval earlier.
    func refund(_ principal: RateLimitPrincipal) {
        shard(of: principal).state.withLock { state in
            guard let arrival = state.arrivals[principal] else { return }
            state.arrivals[principal] = arrival - interval
            state.nextSweep = min(state.nextSweep, arrival - interval)
        }
    }

    /// Principals tracked now, full buckets not yet dropped included.
    var trackedCount: Int {
        shards.reduce(0) { total, shard in total + shard.state.withLock { $0.arrivals.count } }
    }

    private func shard(of principal: RateLimitPrincipal) -> Shard {
        shards[Int(UInt(bitPattern: principal.hashValue) % UInt(Self.shardCount))]
    }

    /// Drops the principals whose bucket is full again; whether that made room.
    private func sweep(_ state: inout Shard.State, now t: Int64) -> Bool {
        guard t >= state.nextSweep else { return false }
        state.arrivals = state.arrivals.filter { $0.value > t }
        state.nextSweep = state.arrivals.values.min() ?? .max
        return state.arrivals.count < shardCapacity
    }

    /// The answer for a principal whose TAT is `ahead` nanoseconds from now (after this
    /// request when admitted).
    private func decision(allowed: Bool, ahead: Int64, retryAfter: Int64) -> RateLimitDecision {
        RateLimitDecision(allowed: allowed, policy: policy,
                          remaining: allowed ? Int((burst - ahead) / interval) : 0,
                          resetSeconds: Self.secondsRoundedUp(ahead),
                          retryAfterSeconds: allowed ? 0 : max(1, Self.secondsRoundedUp(retryAfter)))
    }

    private func nanoseconds(since origin: ContinuousClock.Instant, to now: ContinuousClock.Instant) -> Int64 {
        let elapsed = (now - origin).components
        return elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000
    }

    private static func secondsRoundedUp(_ nanoseconds: Int64) -> Int {
        Int(max(0, (nanoseconds + 999_999_999) / 1_000_000_000))
    }
}
