import Crypto
import Foundation
import Identity
import Synchronization

/// API keys verified against the database in the last `lifetime`, by the SHA-256 digest of
/// their secret, so a busy key costs one lookup per `lifetime` instead of one per request.
///
/// Only digests and the stored key (id, company, permissions) are kept, never a secret, and
/// only keys that were found live: an unknown or revoked key is looked up every time. A
/// revocation made through this gateway is effective at once (`invalidate(keyId:)`); one
/// made elsewhere (`clientctl`, another gateway) within `lifetime`, as the product allows
/// ("revocation effective within seconds"). At most `capacity` keys are held.
final class VerifiedAPIKeyCache: Sendable {
    private struct Entry {
        var digest: [UInt8]
        var key: APIKey
        var expires: ContinuousClock.Instant
    }

    let lifetime: Duration
    let capacity: Int
    private let entries = Mutex<[[UInt8]: Entry]>([:])

    init(lifetime: Duration = .seconds(2), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The key verified for `digest` less than `lifetime` ago; the digests are compared in
    /// constant time once the entry is found, as the database lookup does.
    func key(digest: [UInt8]) -> APIKey? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[digest] else { return nil }
            guard entry.expires > now else {
                entries[digest] = nil
                return nil
            }
            return ConstantTime.equals(entry.digest, digest) ? entry.key : nil
        }
    }

    /// Remembers `key` as live for `digest` from now; when full, expired entries go first,
    /// then everything.
    func store(_ key: APIKey, digest: [UInt8]) {
        let entry = Entry(digest: digest, key: key, expires: ContinuousClock.now + lifetime)
        entries.withLock { entries in
            if entries.count >= capacity, entries[digest] == nil {
                let now = ContinuousClock.now
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[digest] = entry
        }
    }

    /// Forgets key `keyId`, so its next use is looked up again.
    func invalidate(keyId: UUID) {
        entries.withLock { entries in
            entries = entries.filter { $0.value.key.id != keyId }
        }
    }
}
