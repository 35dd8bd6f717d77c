import Errors
import Foundation
import HTTP
import Identity

/// Authenticates `Authorization: Bearer ba_…` and checks the key's permissions.
///
/// Every failure (no header, another scheme, a malformed, unknown or revoked key) is the same
/// `unauthenticated` error, so a caller learns nothing about which keys exist. A live key is
/// remembered for `cache.lifetime` (2 s): a revocation through this gateway's API takes effect
/// at once, one made elsewhere within that lifetime.
///
/// Each authenticated request counts against the key's rate limit (`rateLimiter`, nil when
/// off) before its permission is checked: past the limit it is `RateLimited` (429).
struct APIKeyAuthenticator: Sendable {
    let store: IdentityStore
    let cache: VerifiedAPIKeyCache
    let rateLimiter: RateLimiter?

    /// Longest Authorization header considered; anything longer is refused before hashing.
    static let maxHeaderLength = 200

    /// The live key the request carries, granting `permission`.
    func authenticate(_ request: HTTPRequest, requiring permission: String) async throws -> APIKey {
        guard let secret = Self.bearerToken(request.headers["Authorization"]),
              let key = try await liveKey(secret: secret) else {
            throw ClienteleError(.unauthenticated, "Missing, invalid or revoked API key")
        }
        try rateLimiter?.enforce(.apiKey(key.id))
        guard key.allows(permission) else {
            throw ClienteleError(.permissionDenied, "This API key does not have the \(permission) permission")
        }
        return key
    }

    /// The live key for `secret`, from the cache when it was verified recently.
    private func liveKey(secret: String) async throws -> APIKey? {
        guard APIKeySecret.isWellFormed(secret) else { return nil }
        let digest = APIKeySecret.digest(secret)
        if let key = cache.key(digest: digest) { return key }
        guard let key = try await store.authenticate(secret: secret) else { return nil }
        cache.store(key, digest: digest)
        return key
    }

    /// The token of a `Bearer` credential (scheme case-insensitive).
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.utf8.count <= maxHeaderLength else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let raw = parts[1]
        // Trimming through Foundation costs more than the rest of a cached authentication:
        // skip it when there is nothing to trim (the usual case).
        let edges = [raw.utf8.first, raw.utf8.last]
        let token = edges.allSatisfy({ $0.map { $0 > 0x20 && $0 < 0x80 } ?? true })
            ? String(raw) : raw.trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
