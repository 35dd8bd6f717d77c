import Errors
import Foundation
import HTTP
import Identity
import ServiceRuntime

/// Authenticates `Authorization: Bearer ba_…` and checks the key's permissions.
///
/// Every failure (no header, another scheme, a malformed, unknown or revoked key) is the same
/// `unauthenticated` error, so a caller learns nothing about which keys exist. A live key is
/// remembered for `cache.lifetime` (2 s): a revocation through this gateway's API takes effect
/// at once, one made elsewhere within that lifetime. A key the database did not know is
/// remembered for `cache.unknownLifetime` (60 s) and refused again without a lookup.
///
/// A lookup the cache cannot answer costs a database query, so it counts against the client
/// address's budget of failed lookups first (`failedLookups`, `failedLookupPolicy`: 20 per
/// minute, refilled continuously; the address as `TrustedProxies` reads it) and is given back
/// when the key turns out live. Concurrent lookups of one key share one (`SharedLoads`), so a
/// burst of requests on a key whose cache entry just expired costs one lookup, not one each
/// against the budget. Past the budget the answer is 429 with `Retry-After`
/// (`TooManyUnknownKeys`), without a lookup, until a lookup's worth has refilled; a cached
/// live key is served all the same.
///
/// Each authenticated request counts against the key's rate limit (`rateLimiter`, nil when
/// off) before its permission is checked: past the limit it is `RateLimited` (429).
struct APIKeyAuthenticator: Sendable {
    let store: IdentityStore
    let cache: VerifiedAPIKeyCache
    let rateLimiter: RateLimiter?
    /// Failed lookups per client address.
    let failedLookups: RateLimiter
    let trustedProxies: TrustedProxies
    /// `clientele_api_key_lookups_total{result}`: database lookups, `live` or `unknown`.
    let lookups: Counter
    /// The lookups under way, by digest: requests on a key being looked up wait for it.
    let lookupsUnderWay = SharedLoads<[UInt8], APIKey?>()

    /// Failed key lookups one client address may cause: 20 per minute, as a token bucket.
    static let failedLookupPolicy = RateLimitPolicy(requests: 20, windowSeconds: 60)
    /// Client addresses whose failed lookups are tracked at once.
    static let failedLookupAddresses = 10_000

    init(store: IdentityStore, cache: VerifiedAPIKeyCache, rateLimiter: RateLimiter?, trustedProxies: TrustedProxies,
         metrics: MetricsRegistry) {
        self.store = store
        self.cache = cache
        self.rateLimiter = rateLimiter
        self.failedLookups = RateLimiter(policy: Self.failedLookupPolicy, capacity: Self.failedLookupAddresses)
        self.trustedProxies = trustedProxies
        self.lookups = metrics.counter("clientele_api_key_lookups_total",
                                       help: "API keys looked up in the database (not answered by the cache), by result",
                                       labels: ["result"])
    }

    /// Longest Authorization header considered; anything longer is refused before hashing.
    static let maxHeaderLength = 200

    /// The live key the request carries, granting `permission`.
    func authenticate(_ request: HTTPRequest, requiring permission: String) async throws -> APIKey {
        guard let secret = Self.bearerToken(request.headers["Authorization"]),
              let key = try await liveKey(secret: secret, request: request) else {
            throw ClienteleError(.unauthenticated, "Missing, invalid or revoked API key")
        }
        try rateLimiter?.enforce(.apiKey(key.id))
        guard key.allows(permission) else {
            throw ClienteleError(.permissionDenied, "This API key does not have the \(permission) permission")
        }
        return key
    }

    /// The live key for `secret`, from the cache when it was looked up recently, else from
    /// the database within the client address's budget.
    private func liveKey(secret: String, request: HTTPRequest) async throws -> APIKey? {
        guard APIKeySecret.isWellFormed(secret) else { return nil }
        let digest = APIKeySecret.digest(secret)
        if let key = cache.key(digest: digest) { return key }
        if cache.isUnknown(digest: digest) { return nil }
        return try await lookupsUnderWay.value(for: digest) {
            try await lookUp(secret: secret, digest: digest, request: request)
        }
    }

    /// Looks `secret` up in the database, within the client address's budget, and remembers
    /// the answer.
    private func lookUp(secret: String, digest: [UInt8], request: HTTPRequest) async throws -> APIKey? {
        let address = RateLimitPrincipal.clientAddress(request.clientAddress(trusting: trustedProxies))
        let decision = failedLookups.admit(address)
        guard decision.allowed else { throw TooManyUnknownKeys(retryAfterSeconds: decision.retryAfterSeconds) }
        let generation = cache.live.generation
        let found: APIKey?
        do {
            found = try await store.authenticate(secret: secret)
        } catch {
            failedLookups.refund(address)
            throw error
        }
        guard let key = found else {
            lookups.increment("unknown")
            cache.rememberUnknown(digest: digest)
            return nil
        }
        lookups.increment("live")
        failedLookups.refund(address)
        cache.store(key, digest: digest, readIn: generation)
        return key
    }

    /// The client address spent its budget of failed API-key lookups: 429 with `Retry-After`.
    struct TooManyUnknownKeys: Error, ClienteleErrorConvertible, RetryAfterAdvising {
        var retryAfterSeconds: Int

        var clienteleError: ClienteleError {
            ClienteleError(.resourceExhausted, "Too many unknown API keys from this address; retry in \(retryAfterSeconds) seconds")
        }
    }

    /// The token of a `Bearer` credential (scheme case-insensitive) in a header of at most
    /// `maxLength` bytes (session tokens are longer than API keys: `SessionAuthenticator`).
    static func bearerToken(_ header: String?, maxLength: Int = maxHeaderLength) -> String? {
        guard let header, header.utf8.count <= maxLength else { return nil }
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
