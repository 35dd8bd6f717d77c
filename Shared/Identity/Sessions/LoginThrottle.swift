import Foundation
import Postgres

/// Counts failed logins per key (an account's email, a client address) in PostgreSQL and
/// says when a key is locked out.
///
/// Kept in PostgreSQL rather than in memory so that every gateway instance sees the same
/// counts and a restart does not reset an attacker's budget; it costs one small upsert per
/// failure and one indexed read per attempt, negligible beside the password hash. A key is
/// locked once it has `maxFailures` failures within `window` of its first one; the lock ends
/// when that window does. A successful login clears the account's count.
public struct LoginThrottle: Sendable {
    public let pool: PostgresPool
    public let maxFailures: Int
    public let window: Duration

    public init(pool: PostgresPool, maxFailures: Int, window: Duration) {
        self.pool = pool
        self.maxFailures = maxFailures
        self.window = window
    }

    /// The key of an account, by its email (ignoring case).
    public static func accountKey(_ email: String) -> String {
        "account:" + email.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The key of a client address.
    public static func addressKey(_ address: String) -> String { "address:" + address }

    /// Seconds until the first locked one of `keys` unlocks (rounded up); nil when none is locked.
    public func retryAfter(_ keys: [String]) async throws -> Int? {
        let rows = try await pool.query("""
            SELECT ceil(extract(epoch FROM max(window_start + make_interval(secs => $2) - now())))::bigint
            FROM login_failures
            WHERE key = ANY (string_to_array($1, chr(31))) AND failures >= $3
              AND window_start + make_interval(secs => $2) > now()
            """, [keys.joined(separator: "\u{1f}"), windowSeconds, maxFailures])
        return try rows.first?.decodeIfPresent(0, as: Int64.self).map { max(1, Int($0)) }
    }

    /// Counts one failure against each of `keys`, starting a new window where the old one ended.
    public func recordFailure(_ keys: [String]) async throws {
        for key in keys {
            try await pool.execute("""
                INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, now())
                ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN login_failures.window_start + make_interval(secs => $2) > now()
                                    THEN login_failures.failures + 1 ELSE 1 END,
                    window_start = CASE WHEN login_failures.window_start + make_interval(secs => $2) > now()
                                        THEN login_failures.window_start ELSE now() END
                """, [key, windowSeconds])
        }
        try await pool.execute("DELETE FROM login_failures WHERE window_start + make_interval(secs => $1) < now() - interval '1 day'",
                               [windowSeconds])
    }

    /// Forgets the failures of `key` (after a successful login).
    public func clear(_ key: String) async throws {
        try await pool.execute("DELETE FROM login_failures WHERE key = $1", [key])
    }

    private var windowSeconds: Double {
        Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
    }
}
