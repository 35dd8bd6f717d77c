import Crypto
import Errors
import Foundation
import HTTP
import Identity

/// Authenticates staff users by their session token, from `Authorization: Bearer <jwt>` or
/// else the `token` cookie.
///
/// A token is checked itself (`SessionTokens.verify`: signature, HS256, kid, expiry; no
/// database), and it must not be revoked, its user must exist and be active, and it must have
/// been issued in the user's current session epoch (a password change or deactivation since
/// ends it); the user's roles, companies and permissions come with it. Those are read from the
/// database in one query (`IdentityStore.sessionCheck`) and the verified caller is remembered
/// by the token's SHA-256 for `verified.lifetime` (`SESSION_CACHE_MS`, 2 s; 0 reads every
/// time), at most 10,000 sessions. A remembered token is the very token verified then (its
/// digest, so no comparison ever runs on a token's bytes): its expiry is checked again, its
/// signature is not (verifying is most of an authentication's cost: docs/performance.md,
/// design measurements).
///
/// A change made through this gateway applies to the next request at once: logout forgets
/// the token (`forget(session:)`), and any change of a user (password, deactivation, roles,
/// companies, email, name) forgets all its sessions (`forgetSessions(ofUser:)`); a check that
/// read the database before such a change is never remembered after it. A change made
/// elsewhere (another gateway instance, `clientctl`, the database) applies within the
/// lifetime, as for API keys. Every failure is the same `unauthenticated` error.
///
/// Each authenticated request counts against the user's rate limit (`rateLimiter`, nil when
/// off; all the user's sessions share it): past the limit it is `RateLimited` (429).
struct SessionAuthenticator: Sendable {
    let store: IdentityStore
    let tokens: SessionTokens
    let rateLimiter: RateLimiter?
    /// Callers verified against the database, by their token's SHA-256 (`cacheKey`).
    let verified: ExpiringCache<[UInt8], StaffCaller>

    /// Sessions remembered at once.
    static let cacheCapacity = 10_000

    init(store: IdentityStore, tokens: SessionTokens, rateLimiter: RateLimiter?, cacheLifetime: Duration = .seconds(2)) {
        self.store = store
        self.tokens = tokens
        self.rateLimiter = rateLimiter
        self.verified = ExpiringCache(lifetime: cacheLifetime, capacity: Self.cacheCapacity)
    }

    static let unauthenticated = ClienteleError(.unauthenticated, "Missing, invalid, expired or revoked session")

    /// The caller the request's token names.
    func authenticate(_ request: HTTPRequest) async throws -> StaffCaller {
        guard let token = Self.token(in: request) else { throw Self.unauthenticated }
        let key = Self.cacheKey(token)
        let caller: StaffCaller
        if let remembered = verified.value(for: key), remembered.claims.exp > Int64(Date().timeIntervalSince1970) {
            caller = remembered
        } else {
            let claims = try tokens.verify(token)
            guard let jti = claims.tokenId, let userId = claims.userId else { throw Self.unauthenticated }
            let generation = verified.generation
            guard let check = try await store.sessionCheck(userId: userId, jti: jti), !check.isRevoked, check.user.active,
                  (claims.epoch ?? 0) == check.user.sessionEpoch else { throw Self.unauthenticated }
            caller = StaffCaller(user: check.user, permissions: check.permissions, claims: claims)
            verified.store(caller, for: key, readIn: generation)
        }
        try rateLimiter?.enforce(.user(caller.user.id))
        return caller
    }

    /// Forgets session `jti` (revoked through this gateway): its next use reads the database.
    func forget(session jti: UUID) { verified.invalidate { $0.claims.tokenId == jti } }

    /// What a verified token is remembered by: its SHA-256, never the token itself.
    static func cacheKey(_ token: String) -> [UInt8] { SHA256.hash(token) }

    /// Forgets every session of user `id` (changed through this gateway).
    func forgetSessions(ofUser id: UUID) { verified.invalidate { $0.user.id == id } }

    /// The bearer token if the request has `Authorization: Bearer`, else the session cookie.
    static func token(in request: HTTPRequest) -> String? {
        if let header = request.headers["Authorization"] {
            return APIKeyAuthenticator.bearerToken(header, maxLength: SessionTokens.maxTokenLength + 16)
        }
        return SessionCookie.value(in: request.headers)
    }
}
