import Foundation
import Postgres
import Projection
import SearchReadModel
@testable import StatsReadModel
import TestSupport
import XCTest

/// The projections find the rows of a batch's streams through the key, whatever the size of
/// the table when their (cached, generic) plans were made.
///
/// A projection prepares its statements on its first batches, while the read model may still
/// be empty; PostgreSQL then keeps the generic plan until autoanalyze comes by. A plan that
/// scanned the whole table on an empty one kept scanning it as it grew (seen: 4 ms of a 5 ms
/// stats batch at 15,000 clients under Tests/Benchmarks/client-core.sh).
final class StreamLookupPlanTests: XCTestCase {
    func testReadingAStreamsRowsUsesTheKeyEvenWhenPlannedOnAnEmptyTable() async throws {
        let search = try await database(SearchSchema.migrations)
        let searchPlan = try await genericPlan(on: search, parameters: "uuid[]", arguments: "'{}'",
                                               StreamFold.rowsQuery(columns: "id, version", from: "clients"))
        XCTAssertFalse(searchPlan.contains("Seq Scan"), searchPlan)
        XCTAssertTrue(searchPlan.contains("Index Scan using clients_pkey on clients"), searchPlan)

        let stats = try await database(StatsSchema.migrations)
        let statsPlan = try await genericPlan(on: stats, parameters: "uuid[]", arguments: "'{}'",
                                              StreamFold.rowsQuery(columns: StatsClientState.selectList, from: "stats_clients"))
        XCTAssertFalse(statsPlan.contains("Seq Scan"), statsPlan)
        XCTAssertTrue(statsPlan.contains("Index Scan using stats_clients_pkey on stats_clients"), statsPlan)
    }

    /// A batch of creations checks that none of its streams has a row before it writes: that
    /// check goes through the key too.
    func testTheStatsCreationCheckUsesTheKeyEvenWhenPlannedOnAnEmptyTable() async throws {
        let stats = try await database(StatsSchema.migrations)
        let plan = try await genericPlan(
            on: stats, parameters: "jsonb, jsonb, jsonb, jsonb", arguments: "'[]', '[]', '[]', '[]'",
            ClientStatsProjection.writeStatement(.live, storingOffsets: false, onlyIfNew: true))
        XCTAssertFalse(plan.contains("Seq Scan on stats_clients"), plan)
        XCTAssertTrue(plan.contains("Scan using stats_clients_pkey on stats_clients"), plan)
    }

    private func database(_ migrations: [Migration]) async throws -> PostgresPool {
        let url = try PostgresServer.shared().createDatabase("plans")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 1))
        _ = try await MigrationRunner(migrations: migrations).apply(on: pool)
        return pool
    }

    /// The generic plan of `statement` (EXPLAIN text, one line per node), prepared on `pool`'s
    /// tables as they are now.
    private func genericPlan(on pool: PostgresPool, parameters: String, arguments: String,
                             _ statement: String) async throws -> String {
        try await pool.withConnection { connection in
            _ = try connection.execute("SET plan_cache_mode = force_generic_plan", prepared: false)
            _ = try connection.execute("PREPARE lookup(\(parameters)) AS \(statement)", prepared: false)
            let rows = try connection.query("EXPLAIN EXECUTE lookup(\(arguments))", prepared: false)
            return try rows.map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
    }
}
