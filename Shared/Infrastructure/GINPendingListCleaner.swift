import Postgres
import ServiceRuntime

/// Empties one table's GIN pending lists beside the writes that fill them, so no write has to.
///
/// A GIN index takes new entries into a pending list, and whichever insert finds the list
/// over `gin_pending_list_limit` (4 MB) moves all of it into the index before its
/// transaction commits, many times its usual time, while every write behind it waits. Two
/// tables meet it: the search read model's `clients` (under creates, every so often one
/// projection batch did it, and every write waiting to become visible waited behind it) and
/// the gateway's care access audit `care_access_log` (a carer's list of a thousand clients
/// adds a thousand entries, so about every 170th record merged the list, stalling that
/// answer and the records grouped behind it: docs/performance.md, design measurements).
/// Emptied every `interval` in which rows were written, the lists stay far below the limit,
/// so writes never clean; and since the limit stays at its default, a catch-up of a long
/// backlog, whose lists fill in seconds, still merges them in large, cheap steps (a smaller
/// limit slows a COPY plus upsert of a million rows, and the live projection's applying them,
/// measured with `Tests/Benchmarks/rebuild-vs-copy.sh 1000000`: docs/performance.md, design
/// measurements).
///
/// `gin_clean_pending_list` does not block inserts: they add to the list meanwhile, and an
/// insert that finds a cleanup under way leaves the list to it. It locks only the index, so
/// each cleaning first locks the table as a writer does (`ROW EXCLUSIVE`, which no insert
/// waits for): a search rebuild's swap, which renames `clients` and drops the old one with
/// its indexes, then waits for a cleaning or a cleaning for the swap, and the two never hold
/// one index each.
public final class GINPendingListCleaner: Service, Sendable {
    public var name: String { upkeep.name }
    private let pool: PostgresPool
    private let table: String
    private let upkeep: PeriodicUpkeep

    /// Cleans every GIN index of `table` (a name this code chose, never input) every
    /// `interval` in which writes were noted.
    public init(pool: PostgresPool, table: String, interval: Duration = .seconds(1), logger: Logger) {
        self.pool = pool
        self.table = table
        upkeep = PeriodicUpkeep(name: "gin-pending-list-cleaner:" + table, interval: interval, logger: logger) {
            try await Self.clean(table, on: pool)
        }
    }

    /// Called by the writer when it wrote `count` rows.
    public func noteApplied(_ count: Int) {
        upkeep.note(count)
    }

    /// Empties the lists now; answers how many pages they held.
    @discardableResult
    public func clean() async throws -> Int64 {
        try await Self.clean(table, on: pool)
    }

    /// Every GIN index of the table (found by access method: after a rebuild, PostgreSQL
    /// named them); answers the pages taken off the lists.
    static let cleanSQL = """
        SELECT coalesce(sum(gin_clean_pending_list(i.indexrelid::regclass)), 0)::bigint
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
        WHERE i.indrelid = $1::regclass AND a.amname = 'gin'
        """

    @discardableResult
    private static func clean(_ table: String, on pool: PostgresPool) async throws -> Int64 {
        try await pool.withTransaction { connection in
            try connection.executeScript("LOCK TABLE \(table) IN ROW EXCLUSIVE MODE")
            return try connection.query(cleanSQL, [table])[0].decode(0, as: Int64.self)
        }
    }

    public func run() async throws {
        try await upkeep.run()
    }
}
