import Postgres
import ServiceRuntime

/// Empties the `clients` table's GIN pending lists beside the projection, so no projection
/// batch has to.
///
/// A GIN index takes new entries into a pending list, and whichever insert finds the list
/// over `gin_pending_list_limit` (4 MB) moves all of it into the index before its
/// transaction commits: under creates, every so often one projection batch took many times
/// its usual time doing that, and every write waiting to become visible waited behind it.
/// Emptied every `interval` in which rows were applied, the lists stay far below the limit
/// at the live rate (a create adds a few hundred bytes to each), so batches never clean; and
/// since the limit stays at its default, a catch-up of a long backlog, whose lists fill in
/// seconds, still merges them in large, cheap steps (a smaller limit slows a COPY plus
/// upsert of a million rows, and the live projection's applying them, measured with
/// `Tests/Benchmarks/rebuild-vs-copy.sh 1000000`: docs/performance.md, design measurements).
///
/// `gin_clean_pending_list` does not block inserts: they add to the list meanwhile, and an
/// insert that finds a cleanup under way leaves the list to it. It locks only the index, so
/// each cleaning first locks the table as a projection batch does: a rebuild's swap, which
/// renames the table and drops the old one with its indexes, then waits for a cleaning or
/// a cleaning for the swap, and the two never hold one index each.
public final class GINPendingListCleaner: Service, Sendable {
    public var name: String { upkeep.name }
    private let pool: PostgresPool
    private let upkeep: PeriodicUpkeep

    /// Cleans every GIN index of the live `clients` table (found by access method: after a
    /// rebuild, PostgreSQL named them); answers the pages taken off the lists.
    static let cleanSQL = """
        SELECT coalesce(sum(gin_clean_pending_list(i.indexrelid::regclass)), 0)::bigint
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
        WHERE i.indrelid = '\(SearchSchema.table)'::regclass AND a.amname = 'gin'
        """

    public init(pool: PostgresPool, interval: Duration = .seconds(1), logger: Logger) {
        self.pool = pool
        upkeep = PeriodicUpkeep(name: "gin-pending-list-cleaner", interval: interval, logger: logger) {
            try await Self.clean(pool)
        }
    }

    /// Called by the live projection when a batch applied `count` events.
    public func noteApplied(_ count: Int) {
        upkeep.note(count)
    }

    /// Empties the lists now; answers how many pages they held.
    @discardableResult
    public func clean() async throws -> Int64 {
        try await Self.clean(pool)
    }

    @discardableResult
    private static func clean(_ pool: PostgresPool) async throws -> Int64 {
        try await pool.withTransaction { connection in
            try connection.executeScript("LOCK TABLE \(SearchSchema.table) IN ROW EXCLUSIVE MODE")
            return try connection.query(cleanSQL)[0].decode(0, as: Int64.self)
        }
    }

    public func run() async throws {
        try await upkeep.run()
    }
}
