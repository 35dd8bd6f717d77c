import Crypto
import Foundation
import Identity
import Synchronization

/// API keys verified against the database in the last `lifetime`, by the SHA-256 digest of
/// their secret, so a busy key costs one lookup per `lifetime` instead of one per request;
/// and digests the database did not know in the last `unknownLifetime`, so a repeated
/// unknown or revoked key costs no lookup at all.
///
/// Only digests and the stored key (id, company, permissions) are kept, never a secret. A
/// revocation made through this gateway is effective at once (`invalidate(keyId:)`); one
/// made elsewhere (`clientctl`, another gateway) within `lifetime`, as the product allows
/// ("revocation effective within seconds"). A digest remembered as unknown cannot become a
/// live key in the meantime: keys are 256 random bits, issued fresh. At most `capacity` live
/// keys and `unknownCapacity` unknown digests are held; when either table is full its
/// expired entries go first, then all of them.
final class VerifiedAPIKeyCache: Sendable {
    private struct Entry {
        var digest: [UInt8]
        var key: APIKey
        var expires: ContinuousClock.Instant
    }

    let lifetime: Duration
    let capacity: Int
    let unknownLifetime: Duration
    let unknownCapacity: Int
    private let entries = Mutex<[[UInt8]: Entry]>([:])
    private let unknown = Mutex<[[UInt8]: ContinuousClock.Instant]>([:])

    init(lifetime: Duration = .seconds(2), capacity: Int = 10_000,
         unknownLifetime: Duration = .seconds(60), unknownCapacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.unknownLifetime = unknownLifetime
        self.unknownCapacity = unknownCapacity
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
        let now = ContinuousClock.now
        let entry = Entry(digest: digest, key: key, expires: now + lifetime)
        entries.withLock { entries in
            Self.makeRoom(for: digest, in: &entries, capacity: capacity) { $0.expires > now }
            entries[digest] = entry
        }
    }

    /// Whether `digest` was looked up and not found live less than `unknownLifetime` ago.
    func isUnknown(digest: [UInt8]) -> Bool {
        let now = ContinuousClock.now
        return unknown.withLock { unknown in
            guard let expires = unknown[digest] else { return false }
            guard expires > now else {
                unknown[digest] = nil
                return false
            }
            return true
        }
    }

    /// Remembers that the database has no live key for `digest`, from now.
    func rememberUnknown(digest: [UInt8]) {
        let now = ContinuousClock.now
        unknown.withLock { unknown in
            Self.makeRoom(for: digest, in: &unknown, capacity: unknownCapacity) { $0 > now }
            unknown[digest] = now + unknownLifetime
        }
    }

    /// How many unknown digests are held now, expired ones not yet dropped included.
    var unknownCount: Int { unknown.withLock { $0.count } }

    /// When `table` is full and has no entry for `digest`: drops the entries that are no
    /// longer `live`, then, if still full, all of them.
    private static func makeRoom<Value>(for digest: [UInt8], in table: inout [[UInt8]: Value], capacity: Int,
                                        live: (Value) -> Bool) {
        guard table.count >= capacity, table[digest] == nil else { return }
        table = table.filter { live($0.value) }
        if table.count >= capacity { table.removeAll(keepingCapacity: true) }
    }

    /// Forgets key `keyId`, so its next use is looked up again.
    func invalidate(keyId: UUID) {
        entries.withLock { entries in
            entries = entries.filter { $0.value.key.id != keyId }
        }
    }
}
