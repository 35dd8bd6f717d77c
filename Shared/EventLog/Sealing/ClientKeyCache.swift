import Foundation
import Synchronization

/// Data keys held for a while, at most `capacity` of them: each entry is forgotten
/// `lifetime` after it was put, so a key shredded at the source stops opening events here
/// within that time.
///
/// When full, putting a key first drops the expired entries, then (if still full) a tenth of
/// the others, in no particular order: a miss costs one more question to the source, never a
/// wrong answer.
public final class ClientKeyCache: Sendable {
    public let capacity: Int
    public let lifetime: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let entries: Mutex<[UUID: (state: ClientKeyState, expires: ContinuousClock.Instant)]>

    public init(capacity: Int, lifetime: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        precondition(capacity > 0, "a cache holds at least one key")
        self.capacity = capacity
        self.lifetime = lifetime
        self.now = now
        self.entries = Mutex([:])
    }

    /// The state held for `streamId`, if it has not expired.
    public func state(of streamId: UUID) -> ClientKeyState? {
        let now = now()
        return entries.withLock { entries in
            guard let entry = entries[streamId] else { return nil }
            guard entry.expires > now else {
                entries[streamId] = nil
                return nil
            }
            return entry.state
        }
    }

    /// Holds `state` for `streamId` for `lifetime`.
    public func put(_ state: ClientKeyState, for streamId: UUID) {
        let now = now()
        entries.withLock { entries in
            if entries[streamId] == nil, entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity {
                    for key in entries.keys.prefix(max(1, capacity / 10)) { entries[key] = nil }
                }
            }
            entries[streamId] = (state, now + lifetime)
        }
    }

    /// Forgets `streamId`'s key at once (it was shredded here).
    public func forget(_ streamId: UUID) {
        _ = entries.withLock { $0.removeValue(forKey: streamId) }
    }

    /// How many entries are held (expired ones included until they are dropped).
    public var count: Int { entries.withLock { $0.count } }
}
