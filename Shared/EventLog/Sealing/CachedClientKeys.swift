import Foundation

/// A `ClientKeySource` in front of another, holding its answers in a `ClientKeyCache`: keys
/// and erasures are held (an erased key never comes back), unknown keys are asked again
/// every time (the stream's key may just not have reached the source yet).
public struct CachedClientKeys: ClientKeySource {
    public let source: any ClientKeySource
    public let cache: ClientKeyCache

    public init(source: any ClientKeySource, cache: ClientKeyCache) {
        self.source = source
        self.cache = cache
    }

    public func keys(for streamIds: [UUID]) async throws -> [UUID: ClientKeyState] {
        var states: [UUID: ClientKeyState] = [:]
        var missing: [UUID] = []
        var asked: Set<UUID> = []
        for id in streamIds where states[id] == nil && !asked.contains(id) {
            if let state = cache.state(of: id) {
                states[id] = state
            } else {
                asked.insert(id)
                missing.append(id)
            }
        }
        guard !missing.isEmpty else { return states }
        let fetched = try await source.keys(for: missing)
        for id in missing {
            let state = fetched[id] ?? .unknown
            states[id] = state
            if case .unknown = state { continue }
            cache.put(state, for: id)
        }
        return states
    }

    /// The same source behind an empty cache of the same bounds.
    public func withoutHeldKeys() -> any ClientKeySource {
        CachedClientKeys(source: source, cache: ClientKeyCache(capacity: cache.capacity, lifetime: cache.lifetime))
    }
}
