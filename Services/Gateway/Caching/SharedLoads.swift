import Synchronization

/// Concurrent loads of one key share one: the first caller of `value(for:load:)` loads, the
/// callers that come while it runs wait for its answer instead of loading too.
///
/// A cache in front of the database answers most uses, but when an entry expires, every
/// request in flight for it misses at once: forty concurrent requests on one API key made
/// forty lookups, and spent a client address's budget of lookups (429 bursts every time the
/// entry expired). A load that fails is not shared: each waiting caller then tries for itself
/// (one of them loads next), so one caller's failure (its address past a budget, say) is never
/// another's. Waiters are held only while a load runs, at most one per request in flight.
final class SharedLoads<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let waiting = Mutex<[Key: [CheckedContinuation<Value?, Never>]]>([:])

    init() {}

    /// `load`'s value for `key`: from the load under way for `key` if there is one, else from
    /// a load of this caller's own (whose error, if it fails, is thrown to this caller only).
    func value(for key: Key, load: () async throws -> Value) async throws -> Value {
        while true {
            let leads = waiting.withLock { waiting in
                guard waiting[key] == nil else { return false }
                waiting[key] = []
                return true
            }
            if leads {
                let result: Result<Value, any Error>
                do { result = .success(try await load()) } catch { result = .failure(error) }
                let followers = waiting.withLock { $0.removeValue(forKey: key) ?? [] }
                let shared = try? result.get()
                for follower in followers { follower.resume(returning: shared) }
                return try result.get()
            }
            let shared: Value? = await withCheckedContinuation { continuation in
                let joined = waiting.withLock { waiting in
                    guard waiting[key] != nil else { return false }
                    waiting[key]?.append(continuation)
                    return true
                }
                // The load ended between the two looks: try again.
                if !joined { continuation.resume(returning: nil) }
            }
            if let shared { return shared }
        }
    }
}
