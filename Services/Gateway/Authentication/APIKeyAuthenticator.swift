import Errors
import Foundation
import HTTP
import Identity

/// Authenticates `Authorization: Bearer ba_…` and checks the key's permissions.
///
/// Every failure (no header, another scheme, a malformed, unknown or revoked key) is the same
/// `unauthenticated` error, so a caller learns nothing about which keys exist. The key is
/// looked up on every request: revocation takes effect at once.
struct APIKeyAuthenticator: Sendable {
    let store: IdentityStore

    /// Longest Authorization header considered; anything longer is refused before hashing.
    static let maxHeaderLength = 200

    /// The live key the request carries, granting `permission`.
    func authenticate(_ request: HTTPRequest, requiring permission: String) async throws -> APIKey {
        guard let secret = Self.bearerToken(request.headers["Authorization"]),
              let key = try await store.authenticate(secret: secret) else {
            throw ClienteleError(.unauthenticated, "Missing, invalid or revoked API key")
        }
        guard key.allows(permission) else {
            throw ClienteleError(.permissionDenied, "This API key does not have the \(permission) permission")
        }
        return key
    }

    /// The token of a `Bearer` credential (scheme case-insensitive).
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.utf8.count <= maxHeaderLength else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
