import Crypto
import Foundation
import Postgres

/// Counts login attempts in PostgreSQL and decides, before any password is hashed, whether
/// an attempt may check one.
///
/// Three counts, each over a fixed window (`Limits.window`) that starts with its key's first
/// attempt and ends the lock with it:
/// - per account (email, ignoring case) and client address: past `perAccountAndAddress`
///   that address's logins to that account are refused;
/// - per client address, over every account: past `perAddress` the address's logins are
///   refused;
/// - per account, over every address: past `perAccount` the account is slowed, not locked:
///   an address with an attempt already counted against the account in the window is
///   refused, one with none still gets its try. So failures lock out only the addresses
///   they come from (nobody can keep an account locked for its owner), the owner's right
///   password from an address that has not failed gets through, and a guesser spread over
///   many addresses gets one guess per fresh address once the account is slowed.
///
/// An attempt is counted before its password is hashed, by one statement per key that
/// increments the count and returns it (`admit`), so concurrent attempts cannot all see a
/// count under the limit: of 200 parallel wrong passwords for one account from one address,
/// `perAccountAndAddress` are hashed and the rest refused. A refused attempt gives its
/// increments back, so a count is of admitted attempts. After the hash a success deletes the
/// pair's count and gives back its increments of the account and the address (`succeeded`),
/// a failure keeps them (`failed`), and an attempt that checked no password (every hash slot
/// taken, a database error) gives them back (`abandoned`).
///
/// Kept in PostgreSQL rather than in memory so every gateway instance sees the same counts
/// and a restart does not reset an attacker's budget; rows are deleted a day after their
/// window ends. Keys stay small: the caller passes only emails within
/// `IdentityStore.couldBeCredentials` and addresses are IP addresses.
public struct LoginThrottle: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Attempts per (account, client address) within the window (`LOGIN_MAX_FAILURES`, 5).
        public var perAccountAndAddress: Int
        /// Attempts per account over every address before it is slowed
        /// (`LOGIN_MAX_FAILURES_PER_ACCOUNT`, 20).
        public var perAccount: Int
        /// Attempts per client address over every account (`LOGIN_MAX_FAILURES_PER_ADDRESS`, 50).
        public var perAddress: Int
        /// The window (`LOGIN_FAILURE_WINDOW_SECONDS`, 900 s).
        public var window: Duration

        public init(perAccountAndAddress: Int, perAccount: Int, perAddress: Int, window: Duration) {
            self.perAccountAndAddress = perAccountAndAddress
            self.perAccount = perAccount
            self.perAddress = perAddress
            self.window = window
        }

        /// Whether an attempt whose count for `key` (this attempt included) is `count`, and
        /// for its (account, address) pair `pairCount`, is refused there.
        public func refuses(_ key: Key, count: Int, pairCount: Int) -> Bool {
            switch key {
            case .address: return count > perAddress
            case .accountAndAddress: return count > perAccountAndAddress
            case .account: return count > perAccount && pairCount > 1
            }
        }
    }

    /// The counts an attempt is checked against, in the order they are counted: the address
    /// first, so an address past its limit adds no rows for the accounts it names.
    public enum Key: Sendable, CaseIterable {
        case address, accountAndAddress, account
    }

    /// An admitted attempt: the keys it was counted against.
    public struct Attempt: Sendable, Equatable {
        public let address: String
        public let accountAndAddress: String
        public let account: String
    }

    public enum Admission: Sendable, Equatable {
        /// Check the password, then report `succeeded`, `failed` or `abandoned`.
        case admitted(Attempt)
        /// Refused without checking anything; retry after this many seconds (at least 1).
        case refused(retryAfter: Int)
    }

    public let pool: PostgresPool
    public let limits: Limits

    public init(pool: PostgresPool, limits: Limits) {
        self.pool = pool
        self.limits = limits
    }

    // The counts are access records: their keys are SHA-256 digests (hex) of the email and
    // the address, so the table holds neither the email typed nor the caller's address.

    /// The key of an account, by its email (ignoring case and surrounding spaces).
    public static func accountKey(_ email: String) -> String { "account:" + digest(normalized(email)) }

    /// The key of a client address.
    public static func addressKey(_ address: String) -> String { "address:" + digest(address) }

    /// The key of an account at a client address.
    public static func accountAndAddressKey(email: String, address: String) -> String {
        "pair:" + digest(address + "|" + normalized(email))
    }

    private static func digest(_ text: String) -> String { Hex.encode(SHA256.hash(text)) }

    /// Counts an attempt to log in to `email` from `address` against each key in turn, and
    /// admits it unless one refuses (`Limits.refuses`).
    public func admit(email: String, address: String) async throws -> Admission {
        let attempt = Attempt(address: Self.addressKey(address), accountAndAddress: Self.accountAndAddressKey(email: email, address: address),
                              account: Self.accountKey(email))
        var counted: [String] = []
        var pairCount = 0
        var pairSecondsLeft = Int.max
        for key in Key.allCases {
            let name = attempt.name(of: key)
            let (count, secondsLeft) = try await increment(name)
            counted.append(name)
            if key == .accountAndAddress { (pairCount, pairSecondsLeft) = (count, secondsLeft) }
            if limits.refuses(key, count: count, pairCount: pairCount) {
                try await giveBack(counted)
                // A slowed account lets this address try again when the pair's window restarts.
                return .refused(retryAfter: key == .account ? min(secondsLeft, pairSecondsLeft) : secondsLeft)
            }
        }
        return .admitted(attempt)
    }

    /// The password was right: forgets the pair's count and gives back the attempt's
    /// increments of the account and the address.
    public func succeeded(_ attempt: Attempt) async throws {
        try await pool.execute("DELETE FROM login_failures WHERE key = $1", [attempt.accountAndAddress])
        try await giveBack([attempt.address, attempt.account])
    }

    /// The password was wrong: the counts stay. Deletes up to 100 rows whose window ended a
    /// day ago, skipping rows other attempts hold, so concurrent logins never wait on (or
    /// deadlock with) the clean-up.
    public func failed(_ attempt: Attempt) async throws {
        try await pool.execute("""
            DELETE FROM login_failures WHERE key IN (
                SELECT key FROM login_failures WHERE window_start + make_interval(secs => $1) < now() - interval '1 day'
                LIMIT 100 FOR UPDATE SKIP LOCKED)
            """, [windowSeconds])
    }

    /// No password was checked: gives back every increment of the attempt.
    public func abandoned(_ attempt: Attempt) async throws {
        try await giveBack([attempt.address, attempt.accountAndAddress, attempt.account])
    }

    /// Adds one attempt to `key` in one statement, starting a new window where the old one
    /// ended; the count after it and the seconds left in its window (at least 1).
    private func increment(_ key: String) async throws -> (count: Int, secondsLeft: Int) {
        let rows = try await pool.query("""
            INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 1, now())
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN login_failures.window_start + make_interval(secs => $2) > now()
                                THEN login_failures.failures + 1 ELSE 1 END,
                window_start = CASE WHEN login_failures.window_start + make_interval(secs => $2) > now()
                                    THEN login_failures.window_start ELSE now() END
            RETURNING failures, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::bigint
            """, [key, windowSeconds])
        return (Int(try rows[0].decode(0, as: Int64.self)), max(1, Int(try rows[0].decode(1, as: Int64.self))))
    }

    /// Takes one attempt off each of `keys`, one row per statement: a statement that locks
    /// several rows can deadlock with a concurrent one locking them in another order.
    private func giveBack(_ keys: [String]) async throws {
        for key in keys {
            try await pool.execute("UPDATE login_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0", [key])
        }
    }

    private static func normalized(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespaces).lowercased()
    }

    private var windowSeconds: Double {
        Double(limits.window.components.seconds) + Double(limits.window.components.attoseconds) / 1e18
    }
}

extension LoginThrottle.Attempt {
    func name(of key: LoginThrottle.Key) -> String {
        switch key {
        case .address: return address
        case .accountAndAddress: return accountAndAddress
        case .account: return account
        }
    }
}
