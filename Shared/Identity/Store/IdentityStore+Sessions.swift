import Foundation
import Postgres

extension IdentityStore {
    // MARK: Revoked sessions

    /// Records session `jti` as revoked until `expiresAt` (after which the token is refused
    /// anyway), and deletes records of tokens that have expired since.
    public func revokeSession(jti: UUID, expiresAt: Date) async throws {
        try await pool.execute("""
            INSERT INTO revoked_sessions (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING
            """, [jti, expiresAt])
        try await pool.execute("DELETE FROM revoked_sessions WHERE expires_at < now()")
    }

    /// Whether session `jti` was revoked.
    public func isSessionRevoked(jti: UUID) async throws -> Bool {
        try await !pool.query("SELECT 1 FROM revoked_sessions WHERE jti = $1", [jti]).isEmpty
    }
}
