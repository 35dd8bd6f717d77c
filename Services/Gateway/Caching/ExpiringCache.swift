import Synchronization

/// Values looked up elsewhere (the database), remembered by key for `lifetime`, so a key in
/// busy use costs one lookup per `lifetime` instead of one per use.
///
/// A change made through this process forgets what it changes at once (`remove`,
/// `invalidate(where:)`, `removeAll`), and each of those moves `generation` on: a lookup
/// takes `generation` before it reads and hands it to `store(_:for:readIn:)`, which keeps
/// nothing read before a change, so a lookup racing a change never outlives it. A change made
/// elsewhere (another process) is seen within `lifetime`. At most `capacity` entries are held;
/// when full, the expired ones go first, then all of them. A zero `lifetime` remembers
/// nothing: every use is looked up.
final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var generation: UInt64 = 0
    }

    let lifetime: Duration
    let capacity: Int
    private let state = Mutex(State())

    init(lifetime: Duration, capacity: Int) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The value stored for `key` less than `lifetime` ago.
    func value(for key: Key) -> Value? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Moves on with every invalidation; take it before a lookup whose answer is to be stored.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Remembers `value` for `key` from now, unless something was invalidated since
    /// `generation` was taken (nil: store regardless). When full, expired entries go first,
    /// then everything.
    func store(_ value: Value, for key: Key, readIn generation: UInt64? = nil) {
        guard lifetime > .zero, capacity > 0 else { return }
        let now = ContinuousClock.now
        let entry = Entry(value: value, expires: now + lifetime)
        state.withLock { state in
            if let generation, generation != state.generation { return }
            if state.entries.count >= capacity, state.entries[key] == nil {
                state.entries = state.entries.filter { $0.value.expires > now }
                if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[key] = entry
        }
    }

    /// Forgets `key`.
    func remove(_ key: Key) {
        state.withLock { state in
            state.entries[key] = nil
            state.generation &+= 1
        }
    }

    /// Forgets every entry whose value `matches`.
    func invalidate(where matches: (Value) -> Bool) {
        state.withLock { state in
            state.entries = state.entries.filter { !matches($0.value.value) }
            state.generation &+= 1
        }
    }

    /// How many entries are held now, expired ones not yet dropped included.
    var count: Int { state.withLock { $0.entries.count } }
}
