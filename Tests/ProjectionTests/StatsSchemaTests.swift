import ClientDomain
import EventLog
import Foundation
import InternalAPI
import Postgres
import Projection
import StatsReadModel
import TestSupport
import XCTest

/// The stats tables as PostgreSQL keeps them: the counters every event touches are updated
/// in place, and a database migrated from the first schema answers as before.
final class StatsSchemaTests: XCTestCase {
    /// The rows every batch updates (a tenant's `status` counters and their all-tenants sums)
    /// are HOT-updated: no index of `stats_counts` covers `count`, so an update adds no index
    /// entries and the upsert's key lookup finds the row without walking dead versions.
    func testFixedCountersAreUpdatedInPlace() async throws {
        let log = try await ProjectionFixture.make(partitions: 1)
        let fixture = try await StatsFixture.make(on: log)
        var script = EventScript()
        let tenant = UUID()
        let clients = (0..<40).map { _ in UUID() }
        var creations: [StoredEvent] = []
        for (index, id) in clients.enumerated() {
            creations.append(try script.create(id, tenant: tenant, ClientProfile(
                name: "Client \(index)", status: .active, companyName: "Company \(index % 7)",
                location: "City, Country \(index % 3)", provider: "provider\(index % 2)")))
        }
        let runner = fixture.runner(batchSize: 20)
        try await log.catchUp(runner, to: try await log.produce(creations))
        let before = try await Self.updates(of: "stats_counts", on: fixture.pool)
        // Half the clients go back and forth between two statuses, a batch per round: each
        // batch updates the tenant's two status counters and the two all-tenants ones.
        let rounds = 12
        for round in 0..<rounds {
            let status: ClientStatus = round % 2 == 0 ? .suspended : .active
            let changes = try clients.prefix(20).map { try script.change($0, tenant: tenant, ClientProfileChanges(status: status)) }
            try await log.catchUp(runner, to: try await log.produce(changes))
            // The round shows in the read model before the next is written, whatever the
            // checkpoint said: a batch holding the end of one round and the next could cancel
            // their changes out and update nothing (a full run once counted 44 of 48 updates).
            let active = status == .active ? 40 : 20
            try await eventually("round \(round) shows \(active) active clients") {
                if try await fixture.stats(.tenants([tenant]), asOf: script.clock).overview.activeClients == active { return true }
                try await runner.step()
                return false
            }
        }
        await runner.close()
        let expectedUpdates = before.updates + Int64(rounds * 4)
        // A backend reports its table statistics some time after its transactions (up to ten
        // seconds when idle), but always when it exits: close the pool that ran the batches,
        // then read the statistics through a new one.
        await fixture.pool.close()
        let reader = PostgresPool(configuration: PostgresConfiguration(connectionString: fixture.databaseURL, poolSize: 2))
        var after = before
        try await eventually("the statistics show \(expectedUpdates) updates (\(after.updates))") {
            after = try await Self.updates(of: "stats_counts", on: reader)
            return after.updates >= expectedUpdates
        }
        XCTAssertGreaterThanOrEqual(after.updates, expectedUpdates, "the status counters were updated, not deleted and inserted")
        let updates = after.updates - before.updates
        let hot = after.hot - before.hot
        print("stats_counts: \(hot) of \(updates) updates HOT")
        XCTAssertGreaterThanOrEqual(Double(hot), Double(updates) * 0.9,
                                    "\(hot) of \(updates) counter updates were HOT; each other one added index entries")
        let figures = try await ClientStatistics(pool: reader).stats(for: .tenants([tenant]), asOf: script.clock)
        XCTAssertEqual(figures.overview, .init(totalClients: 40, activeClients: 40))
        await reader.close()
    }

    /// A database that kept its counters in the first schema (migration 100, one table with
    /// a partial index on `count`), with a rebuild under way, is split by migration 101: it
    /// answers as a fresh database fed the same events, goes on counting from there, and the
    /// rebuild's shadow tables are split alike.
    func testAMigratedDatabaseAnswersAsBefore() async throws {
        let log = try await ProjectionFixture.make(partitions: 1)
        let reference = try await StatsFixture.make(on: log)
        var script = EventScript()
        let (one, two) = (UUID(), UUID())
        var events: [StoredEvent] = []
        var ids: [UUID] = []
        for index in 0..<60 {
            let id = UUID()
            ids.append(id)
            events.append(try script.create(id, tenant: index % 3 == 0 ? two : one, ClientProfile(
                name: "Client \(index)", status: index % 4 == 0 ? .trial : .active, companyName: "Company \(index % 9)",
                industry: index % 2 == 0 ? "Retail" : "Tech", location: "Town, Country \(index % 5)",
                plan: index % 3 == 1 ? .premium : nil, provider: index % 2 == 0 ? "google" : "github")))
        }
        for (index, id) in ids.enumerated() where index % 7 == 0 {
            events.append(try script.delete(id, tenant: index % 3 == 0 ? two : one))
        }
        let referenceRunner = reference.runner(batchSize: 25)
        try await log.catchUp(referenceRunner, to: try await log.produce(events))

        // The same counters in the first schema, and a rebuild's shadow made from it.
        let url = try PostgresServer.shared().createDatabase("stats")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 4))
        let first = StatsSchema.migrations.filter { $0.version <= 100 }
        _ = try await MigrationRunner(migrations: first).apply(on: pool)
        let copies = [("stats_clients", "SELECT * FROM stats_clients"), ("stats_days", "SELECT * FROM stats_days"),
                      ("stats_counts", "SELECT * FROM stats_counts UNION ALL SELECT * FROM stats_top_counts"),
                      ("projection_offsets", "SELECT * FROM projection_offsets"),
                      ("projection_log_epochs", "SELECT * FROM projection_log_epochs")]
        for (table, select) in copies {
            let rows = try await reference.pool.query("SELECT COALESCE(json_agg(t), '[]')::text FROM (\(select)) t")[0]
                .decode(0, as: String.self)
            try await pool.execute("INSERT INTO \(table) SELECT * FROM json_populate_recordset(NULL::\(table), $1::json)", [rows])
        }
        try await pool.execute("CREATE TABLE stats_counts_rebuild (LIKE stats_counts INCLUDING ALL)")
        try await pool.execute("INSERT INTO stats_counts_rebuild SELECT * FROM stats_counts WHERE tenant_id = $1", [one])
        let oldCounts = try await pool.query("""
            SELECT (SELECT count(*) FROM stats_counts WHERE dimension IN ('provider', 'country', 'company', 'industry')),
                   (SELECT count(*) FROM pg_indexes WHERE indexname = 'stats_counts_top')
            """)[0]
        XCTAssertGreaterThan(try oldCounts.decode(0, as: Int.self), 20, "the top-list counters are in stats_counts")
        XCTAssertEqual(try oldCounts.decode(1, as: Int.self), 1)
        let shadowTopRows = try await pool.query("""
            SELECT count(*) FROM stats_counts_rebuild WHERE dimension IN ('provider', 'country', 'company', 'industry')
            """)[0].decode(0, as: Int.self)

        let applied = try await MigrationRunner(migrations: StatsSchema.migrations).apply(on: pool)
        XCTAssertEqual(applied, [101, 102])
        let migrated = StatsFixture(pool: pool, databaseURL: url, log: log)
        let migratedSum = try await migrated.checksum()
        let referenceSum = try await reference.checksum()
        XCTAssertEqual(migratedSum, referenceSum, "every counter is where a fresh database keeps it")
        let asOf = script.clock
        for scope: ClientListQuery.TenantScope in [.tenants([one]), .tenants([two]), .tenants([one, two]), .everyTenant] {
            let answered = try await migrated.stats(scope, asOf: asOf)
            let expected = try await reference.stats(scope, asOf: asOf)
            XCTAssertEqual(answered, expected, "\(scope)")
        }
        let all = try await migrated.stats(.everyTenant, asOf: asOf)
        XCTAssertEqual(all.overview.totalClients, 51)
        XCTAssertEqual(all.demographics.topCompanies.count, 9)
        XCTAssertEqual(all.providers.count, 2)
        // `stats_counts` keeps the fixed dimensions with only its key indexed; the top lists
        // have their own table and index, and so does the shadow.
        let indexes = try await pool.query("""
            SELECT c.relname, count(i.indexrelid), count(*) FILTER (WHERE i.indisprimary)
            FROM pg_class c LEFT JOIN pg_index i ON i.indrelid = c.oid
            WHERE c.relname IN ('stats_counts', 'stats_top_counts', 'stats_counts_rebuild', 'stats_top_counts_rebuild')
            GROUP BY c.relname ORDER BY c.relname
            """).map { "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: Int.self)) \(try $0.decode(2, as: Int.self))" }
        XCTAssertEqual(indexes, ["stats_counts 1 1", "stats_counts_rebuild 1 1", "stats_top_counts 2 1", "stats_top_counts_rebuild 2 1"])
        let shadow = try await pool.query("""
            SELECT (SELECT count(*) FROM stats_counts_rebuild WHERE dimension IN ('provider', 'country', 'company', 'industry')),
                   (SELECT count(*) FROM stats_top_counts_rebuild),
                   (SELECT count(*) FROM stats_counts WHERE dimension IN ('provider', 'country', 'company', 'industry'))
            """)[0]
        XCTAssertEqual(try shadow.decode(0, as: Int.self), 0)
        XCTAssertEqual(try shadow.decode(1, as: Int.self), shadowTopRows)
        XCTAssertEqual(try shadow.decode(2, as: Int.self), 0)

        // Both go on counting the same events alike.
        var more: [StoredEvent] = []
        for (index, id) in ids.enumerated() where index % 7 != 0 && index % 2 == 0 {
            let tenant = index % 3 == 0 ? two : one
            more.append(try script.change(id, tenant: tenant, ClientProfileChanges(status: .suspended, companyName: .set("Moved"))))
            if index % 4 == 0 { more.append(try script.delete(id, tenant: tenant)) }
        }
        let ends = try await log.produce(more)
        try await log.catchUp(referenceRunner, to: ends)
        await referenceRunner.close()
        let migratedRunner = migrated.runner(batchSize: 25)
        try await log.catchUp(migratedRunner, to: ends)
        await migratedRunner.close()
        let migratedAfter = try await migrated.checksum()
        let referenceAfter = try await reference.checksum()
        XCTAssertEqual(migratedAfter, referenceAfter)
        let answered = try await migrated.stats(.everyTenant, asOf: script.clock)
        XCTAssertEqual(answered.demographics.topCompanies.first?.company, "Moved")
    }

    /// A top-list counter taken below 0 parks its stream as a fixed one does, naming its table.
    func testATopListCounterThatWouldGoBelowZeroParksItsStream() async throws {
        try await assertACounterBelowZeroParksItsStream(
            profile: ClientProfile(name: "Ada", companyName: "Acme"),
            damage: "DELETE FROM stats_top_counts WHERE tenant_id = $1 AND dimension = 'company' AND value = 'Acme'",
            change: ClientProfileChanges(status: .suspended, companyName: .set("Other")), table: "stats_top_counts")
    }

    /// `table`'s row updates so far, and how many of them were HOT.
    static func updates(of table: String, on pool: PostgresPool) async throws -> (updates: Int64, hot: Int64) {
        let row = try await pool.query("""
            SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = $1
            """, [table])[0]
        return (try row.decode(0, as: Int64.self), try row.decode(1, as: Int64.self))
    }
}
