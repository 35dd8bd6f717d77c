/// Applies migrations in version order, each once, even when several instances start at once.
///
/// `apply(on:)` holds one connection throughout and takes a session advisory lock whose key
/// is derived from the schema table's name, so concurrent runners queue behind each other; the
/// lock goes with the session if the runner dies. Each migration runs in its own transaction
/// with the row recording it (version, name, checksum, time). A recorded migration whose SQL
/// has since changed stops the run before anything is applied. Recorded versions unknown to
/// this runner (applied by a newer release) are left alone. `statement_timeout` is lifted
/// for the run and restored afterwards. Migration SQL must not hold its own BEGIN/COMMIT.
public struct MigrationRunner: Sendable {
    public let migrations: [Migration]
    public let schemaTable: String

    /// - Parameter schemaTable: `table` or `schema.table`; letters, digits and underscores.
    public init(migrations: [Migration], schemaTable: String = "schema_migrations") {
        self.migrations = migrations
        self.schemaTable = schemaTable
    }

    /// Applies the migrations not yet recorded and returns their versions, in order.
    public func apply(on pool: PostgresPool) async throws -> [Int] {
        let table = try quotedTable()
        let ordered = try orderedMigrations()
        let lockKey = Int64(bitPattern: FNV1a.hash("clientele.migrations.\(schemaTable)".utf8))
        return try await pool.withConnection { connection in
            // Waiting for another runner and long migrations must not hit statement_timeout.
            let timeout = try connection.query("SHOW statement_timeout", prepared: false)[0].decode(0, as: String.self)
            try connection.executeScript("SET statement_timeout = 0")
            _ = try connection.query("SELECT pg_advisory_lock($1)", [lockKey], prepared: false)
            defer {
                if connection.isConnected {
                    _ = try? connection.query("SELECT pg_advisory_unlock($1)", [lockKey], prepared: false)
                    _ = try? connection.query("SELECT set_config('statement_timeout', $1, false)", [timeout],
                                              prepared: false)
                }
            }
            try connection.executeScript("""
                CREATE TABLE IF NOT EXISTS \(table) (
                    version bigint PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            var recorded: [Int: String] = [:]
            for row in try connection.query("SELECT version, checksum FROM \(table)", prepared: false) {
                recorded[try row.decode(0, as: Int.self)] = try row.decode(1, as: String.self)
            }
            for migration in ordered {
                if let checksum = recorded[migration.version], checksum != migration.checksum {
                    throw PostgresError(.migration, "an applied migration was changed; restore it or add a new one",
                                        context: ["version": String(migration.version), "name": migration.name])
                }
            }
            var applied: [Int] = []
            for migration in ordered where recorded[migration.version] == nil {
                do {
                    try connection.executeScript("BEGIN")
                    try connection.executeScript(migration.sql)
                    try connection.execute(
                        "INSERT INTO \(table) (version, name, checksum) VALUES ($1, $2, $3)",
                        [migration.version, migration.name, migration.checksum], prepared: false)
                    try connection.executeScript("COMMIT")
                } catch {
                    if connection.isConnected && connection.isInTransaction {
                        try? connection.executeScript("ROLLBACK")
                    }
                    let detail = (error as? PostgresError).map { "\($0) | \($0.internalDetail ?? "")" } ?? "\(error)"
                    throw PostgresError(.migration, "a migration failed and was rolled back",
                                        context: ["version": String(migration.version), "name": migration.name],
                                        internalDetail: detail)
                }
                applied.append(migration.version)
            }
            return applied
        }
    }

    private func orderedMigrations() throws -> [Migration] {
        let ordered = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.version == next.version {
            throw PostgresError(.migration, "two migrations share a version", context: ["version": String(next.version)])
        }
        return ordered
    }

    private func quotedTable() throws -> String {
        let parts = schemaTable.split(separator: ".", omittingEmptySubsequences: false)
        let valid = (1...2).contains(parts.count) && parts.allSatisfy { part in
            guard let first = part.unicodeScalars.first, !part.isEmpty, part.count <= 63 else { return false }
            return (first == "_" || first.properties.isAlphabetic && first.isASCII)
                && part.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic
                    || ("0"..."9").contains($0)) }
        }
        guard valid else {
            throw PostgresError(.invalidArgument, "the schema table name must be letters, digits and underscores",
                                context: ["schemaTable": schemaTable])
        }
        return parts.map { "\"\($0)\"" }.joined(separator: ".")
    }
}
