import Foundation
import Identity

/// API keys verified against the database in the last `live.lifetime` (2 s), by the SHA-256
/// digest of their secret, so a busy key costs one lookup per lifetime instead of one per
/// request; and digests the database did not know in the last `unknown.lifetime` (60 s), so a
/// repeated unknown or revoked key costs no lookup at all. Both are `ExpiringCache`s.
///
/// Only digests and the stored key (id, company, permissions) are kept, never a secret. A
/// revocation made through this gateway is effective at once (`invalidate(keyId:)`); one
/// made elsewhere (`clientctl`, another gateway) within the lifetime, as the product allows
/// ("revocation effective within seconds"). A digest remembered as unknown cannot become a
/// live key in the meantime: keys are 256 random bits, issued fresh. At most 10,000 live keys
/// and 10,000 unknown digests are held.
struct VerifiedAPIKeyCache: Sendable {
    let live: ExpiringCache<[UInt8], APIKey>
    let unknown: ExpiringCache<[UInt8], Bool>

    init(lifetime: Duration = .seconds(2), capacity: Int = 10_000,
         unknownLifetime: Duration = .seconds(60), unknownCapacity: Int = 10_000) {
        live = ExpiringCache(lifetime: lifetime, capacity: capacity)
        unknown = ExpiringCache(lifetime: unknownLifetime, capacity: unknownCapacity)
    }

    /// The key verified for `digest` less than the lifetime ago.
    func key(digest: [UInt8]) -> APIKey? { live.value(for: digest) }

    /// Remembers `key` as live for `digest` from now, unless a key was invalidated since
    /// `generation` (`live.generation`, taken before the lookup).
    func store(_ key: APIKey, digest: [UInt8], readIn generation: UInt64? = nil) {
        live.store(key, for: digest, readIn: generation)
    }

    /// Whether `digest` was looked up and not found live less than `unknown.lifetime` ago.
    func isUnknown(digest: [UInt8]) -> Bool { unknown.value(for: digest) != nil }

    /// Remembers that the database has no live key for `digest`, from now.
    func rememberUnknown(digest: [UInt8]) { unknown.store(true, for: digest) }

    /// How many unknown digests are held now, expired ones not yet dropped included.
    var unknownCount: Int { unknown.count }

    /// Forgets key `keyId`, so its next use is looked up again.
    func invalidate(keyId: UUID) { live.invalidate { $0.id == keyId } }
}
