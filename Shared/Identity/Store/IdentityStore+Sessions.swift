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

    /// User `userId`, the permissions its roles grant now and whether session `jti` was
    /// revoked, in one query; nil when there is no such user.
    public func sessionCheck(userId: UUID, jti: UUID) async throws -> SessionCheck? {
        let rows = try await pool.query("""
            SELECT \(Self.userColumns),
                EXISTS (SELECT 1 FROM revoked_sessions WHERE jti = $2),
                coalesce((SELECT string_agg(DISTINCT p.permission, ',') FROM user_roles r
                          JOIN role_permissions p ON p.role = r.role WHERE r.user_id = u.id), '')
            FROM users u WHERE u.id = $1
            """, [userId, jti])
        guard let row = rows.first else { return nil }
        let revoked = try row.decode(Self.userColumnCount, as: Bool.self)
        let permissions = try row.decode(Self.userColumnCount + 1, as: String.self).split(separator: ",").map(String.init)
        return SessionCheck(user: try Self.user(from: row), permissions: Set(permissions), isRevoked: revoked)
    }
}
