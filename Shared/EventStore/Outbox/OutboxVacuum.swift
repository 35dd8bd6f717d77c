import Postgres
import ServiceRuntime

/// Vacuums the outbox while the relay deletes from it, so that reading its oldest entries
/// stays cheap: beside the relay, never in its rounds.
///
/// The outbox is a queue: every entry is inserted once and deleted once, so between
/// autovacuum's visits (a minute apart by default, whatever the table's thresholds) dead rows
/// pile up, and the relay's read of the oldest entries walks them every round, a cost paid
/// again for every create. VACUUM of a table this small takes a few milliseconds to some
/// tens, outside any transaction; run inside the relay's loop it held up every event
/// committed meanwhile (both measured: docs/performance.md, design measurements). It runs
/// every `interval` in which the relay settled entries.
///
/// It never truncates the table. Truncating the empty pages at the end takes an ACCESS
/// EXCLUSIVE lock, which appends (they insert into the outbox) queue behind while the
/// truncation scans and WAL-logs; and while appends hold their lock, VACUUM retries it in
/// 50 ms sleeps, so under creates a plain VACUUM of the outbox took one or more of them
/// (measured: docs/performance.md, design measurements). The pages are refilled within
/// seconds anyway; the table keeps its busiest size.
public final class OutboxVacuum: Service, Sendable {
    public var name: String { upkeep.name }
    private let upkeep: PeriodicUpkeep

    public init(pool: PostgresPool, interval: Duration = .seconds(2), logger: Logger) {
        upkeep = PeriodicUpkeep(name: "outbox-vacuum", interval: interval, logger: logger) {
            try await pool.withConnection { try $0.executeScript("VACUUM (TRUNCATE false) outbox") }
        }
    }

    /// Called by the relay when it deleted `count` entries.
    public func noteSettled(_ count: Int) {
        upkeep.note(count)
    }

    public func run() async throws {
        try await upkeep.run()
    }
}
