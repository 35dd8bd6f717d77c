import CLibPQ

/// How a `PostgresPool` connects and how many connections it keeps.
///
/// `connectionString` is anything libpq accepts: `host=… dbname=…` or a `postgres://` URL.
/// `connectTimeout`, `applicationName` and the session settings below override what the
/// string says. The connection string is a secret (it may hold a password): it is never
/// printed, and `description` leaves it out.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// A libpq conninfo string or a `postgres://` URL.
    public var connectionString: String
    /// The most connections the pool opens; opened lazily, kept open while healthy.
    public var poolSize: Int = 10
    /// How long one connection attempt may take (libpq rounds to whole seconds, at least 2).
    public var connectTimeout: Duration = .seconds(5)
    /// `statement_timeout` set on every connection; nil leaves the server's default.
    public var statementTimeout: Duration? = .seconds(30)
    /// How long `withConnection` waits for a free connection before failing with
    /// `PostgresError.Kind.poolExhausted` (which maps to `ClienteleError.Code.unavailable`).
    public var acquireTimeout: Duration = .seconds(10)
    /// `application_name`, shown in `pg_stat_activity`.
    public var applicationName: String = "clientele"
    /// Whether a commit waits until its WAL is flushed to disk (`synchronous_commit`).
    ///
    /// False suits a database whose every row can be rebuilt from elsewhere, such as a
    /// projection's read model with its offsets in the same transactions: a PostgreSQL crash
    /// can then lose the last few hundred milliseconds of commits, but only whole
    /// transactions, so the projection reads those events again. Never false for a database
    /// that is the source of truth (the event store).
    public var synchronousCommit: Bool = true

    public init(connectionString: String) {
        self.connectionString = connectionString
    }

    public init(connectionString: String, poolSize: Int = 10, connectTimeout: Duration = .seconds(5),
                statementTimeout: Duration? = .seconds(30), acquireTimeout: Duration = .seconds(10),
                applicationName: String = "clientele") {
        self.connectionString = connectionString
        self.poolSize = poolSize
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.acquireTimeout = acquireTimeout
        self.applicationName = applicationName
    }

    public var description: String {
        "PostgresConfiguration(poolSize: \(poolSize), connectTimeout: \(connectTimeout), "
            + "statementTimeout: \(statementTimeout.map { "\($0)" } ?? "default"), "
            + "acquireTimeout: \(acquireTimeout), applicationName: \(applicationName), synchronousCommit: \(synchronousCommit))"
    }

    /// Strings that must not appear in logs or errors: the connection string itself and the
    /// password it holds, as libpq parses it.
    var secrets: [String] {
        var secrets = [connectionString]
        var errorMessage: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(connectionString, &errorMessage) {
            defer { PQconninfoFree(options) }
            var option = options
            while let keyword = option.pointee.keyword {
                if String(cString: keyword) == "password", let value = option.pointee.val {
                    let password = String(cString: value)
                    if !password.isEmpty { secrets.append(password) }
                }
                option += 1
            }
        }
        if let errorMessage { PQfreemem(errorMessage) }
        return secrets
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded up so a short timeout never becomes zero.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let remainder = attoseconds % 1_000_000_000_000_000
        return remainder > 0 ? millis + 1 : millis
    }

    /// The duration in seconds as a Double, for Dispatch deadlines.
    var secondsDouble: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
