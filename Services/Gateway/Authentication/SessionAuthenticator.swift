import Errors
import Foundation
import HTTP
import Identity

/// Authenticates staff users by their session token, from `Authorization: Bearer <jwt>` or
/// else the `token` cookie.
///
/// Beyond the token's own checks (`SessionTokens.verify`: signature, HS256, kid, expiry) the
/// token must not be revoked, its user must exist and be active, and it must have been
/// issued in the user's current session epoch (a password change or deactivation since ends
/// it); roles, companies and permissions are read from the database on every request, so a
/// change or deactivation applies to the next request. Every failure is the same
/// `unauthenticated` error.
///
/// Each authenticated request counts against the user's rate limit (`rateLimiter`, nil when
/// off; all the user's sessions share it): past the limit it is `RateLimited` (429).
struct SessionAuthenticator: Sendable {
    let store: IdentityStore
    let tokens: SessionTokens
    let rateLimiter: RateLimiter?

    static let unauthenticated = ClienteleError(.unauthenticated, "Missing, invalid, expired or revoked session")

    /// The caller the request's token names.
    func authenticate(_ request: HTTPRequest) async throws -> StaffCaller {
        guard let token = Self.token(in: request) else { throw Self.unauthenticated }
        let claims = try tokens.verify(token)
        guard let jti = claims.tokenId, let userId = claims.userId,
              try await !store.isSessionRevoked(jti: jti),
              let user = try await store.user(id: userId), user.active,
              (claims.epoch ?? 0) == user.sessionEpoch else { throw Self.unauthenticated }
        try rateLimiter?.enforce(.user(user.id))
        return StaffCaller(user: user, permissions: try await store.permissions(ofRoles: user.roles), claims: claims)
    }

    /// The bearer token if the request has `Authorization: Bearer`, else the session cookie.
    static func token(in request: HTTPRequest) -> String? {
        if let header = request.headers["Authorization"] {
            guard header.utf8.count <= SessionTokens.maxTokenLength + 16 else { return nil }
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            let token = parts[1].trimmingCharacters(in: .whitespaces)
            return token.isEmpty ? nil : token
        }
        return SessionCookie.value(in: request.headers)
    }
}
