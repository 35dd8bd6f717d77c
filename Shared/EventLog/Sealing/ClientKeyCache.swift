import Foundation
import Synchronization

/// Data keys held for a while, at most `capacity` of them: each entry is forgotten
/// `lifetime` after it was put, so a key shredded at the source stops opening events here
/// within that time.
///
/// Entries leave in the order they were put (every entry lives as long, so that is also the
/// order they expire in): putting a key into a full cache drops the oldest one. A miss
/// costs one more question to the source, never a wrong answer. Each put and lookup is O(1)
/// (a rebuild puts every client's key: sweeping the whole cache when full cost a
/// projection 5% of its CPU).
public final class ClientKeyCache: Sendable {
    public let capacity: Int
    public let lifetime: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let entries: Mutex<Entries>

    /// The held states and the order they were put in.
    private struct Entries: ~Copyable {
        var states: [UUID: (state: ClientKeyState, expires: ContinuousClock.Instant)] = [:]
        /// Every put, oldest first from `head`; a stream put again appears twice, and only
        /// the position matching its entry's expiry counts. Compacted when half of it is
        /// behind `head`, made again when it holds twice the capacity.
        var order: [(id: UUID, expires: ContinuousClock.Instant)] = []
        var head = 0

        /// The order made again from the held entries alone (stale positions dropped).
        mutating func reorder() {
            order = states.map { (id: $0.key, expires: $0.value.expires) }.sorted { $0.expires < $1.expires }
            head = 0
        }

        /// Drops the oldest put's entry (if it is still that put's); false when none is left.
        mutating func dropOldest() -> Bool {
            guard head < order.count else { return false }
            let oldest = order[head]
            head += 1
            if let entry = states[oldest.id], entry.expires == oldest.expires { states[oldest.id] = nil }
            if head > 1_024 && head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
            return true
        }
    }

    public init(capacity: Int, lifetime: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        precondition(capacity > 0, "a cache holds at least one key")
        self.capacity = capacity
        self.lifetime = lifetime
        self.now = now
        self.entries = Mutex(Entries())
    }

    /// The state held for `streamId`, if it has not expired.
    public func state(of streamId: UUID) -> ClientKeyState? {
        let now = now()
        return entries.withLock { entries in
            guard let entry = entries.states[streamId] else { return nil }
            guard entry.expires > now else {
                entries.states[streamId] = nil
                return nil
            }
            return entry.state
        }
    }

    /// Holds `state` for `streamId` for `lifetime`.
    public func put(_ state: ClientKeyState, for streamId: UUID) {
        let now = now()
        let expires = now + lifetime
        entries.withLock { entries in
            // The expired entries first, then (if still full) the oldest ones.
            while entries.head < entries.order.count, entries.order[entries.head].expires <= now, entries.dropOldest() {}
            while entries.states[streamId] == nil, entries.states.count >= capacity, entries.dropOldest() {}
            entries.states[streamId] = (state, expires)
            entries.order.append((streamId, expires))
            // Puts of streams already held leave stale positions behind: at most as many as
            // the entries themselves, then the order is made again from the entries.
            if entries.order.count - entries.head > 2 * capacity { entries.reorder() }
        }
    }

    /// Forgets `streamId`'s key at once (it was shredded here).
    public func forget(_ streamId: UUID) {
        _ = entries.withLock { $0.states.removeValue(forKey: streamId) }
    }

    /// How many entries are held (expired ones included until they are dropped).
    public var count: Int { entries.withLock { $0.states.count } }
}
