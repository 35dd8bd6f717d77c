import ClientDomain
import Foundation
import InternalAPI
import Kafka
import Postgres
import Projection
import ServiceRuntime
import StatsReadModel
import TestSupport
import XCTest

/// A fresh stats database projecting the topic of a `ProjectionFixture` (so the search and
/// stats projections can be run over the same log), with helpers to run, rebuild and ask it.
struct StatsFixture {
    let pool: PostgresPool
    let databaseURL: String
    let log: ProjectionFixture
    /// Its own registry: the stats runner exports the same metric names as the search one.
    let metrics = MetricsRegistry()

    static func make(on log: ProjectionFixture) async throws -> StatsFixture {
        let url = try PostgresServer.shared().createDatabase("stats")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 6))
        _ = try await MigrationRunner(migrations: StatsSchema.migrations).apply(on: pool)
        return StatsFixture(pool: pool, databaseURL: url, log: log)
    }

    func runner(batchSize: Int = 500) -> ProjectionRunner {
        var configuration = ProjectionRunner.Configuration(projection: "stats", target: .live, topic: log.topic,
                                                           partitionCount: log.partitions)
        configuration.batchSize = batchSize
        configuration.pollTimeout = .milliseconds(100)
        return ProjectionRunner(configuration: configuration, pool: pool, kafka: log.broker.configuration(),
                                model: ClientStatsProjection(), logger: ProjectionFixture.quietLogger, metrics: metrics)
    }

    func rebuild(of live: ProjectionRunner, batchSize: Int = 1000) -> ProjectionRebuild {
        ProjectionRebuild(live: live, pool: pool, kafka: log.broker.configuration(), model: ClientStatsProjection(),
                          logger: ProjectionFixture.quietLogger, metrics: metrics, batchSize: batchSize)
    }

    func stats(_ scope: ClientListQuery.TenantScope, asOf: Date) async throws -> ClientStats {
        try await ClientStatistics(pool: pool).stats(for: scope, asOf: asOf)
    }

    /// An md5 over every row of the stats tables: equal read models, equal checksums.
    func checksum() async throws -> String {
        var parts: [String] = []
        for (table, order) in [("stats_clients", "t.id"), ("stats_counts", "t.tenant_id, t.dimension, t.value"),
                               ("stats_top_counts", "t.tenant_id, t.dimension, t.value"), ("stats_days", "t.tenant_id, t.kind, t.day")] {
            parts.append(try await pool.query("""
                SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY \(order)), '')) || ':' || count(*) FROM \(table) t
                """)[0].decode(0, as: String.self))
        }
        return parts.joined(separator: " ")
    }

    func offsetsSum(_ projection: String = "stats") async throws -> Int64 {
        try await pool.query("SELECT COALESCE(sum(next_offset), 0)::bigint FROM projection_offsets WHERE projection = $1",
                             [projection])[0].decode(0, as: Int64.self)
    }
}

/// Runs `live` and `rebuild` until the rebuild has swapped in (or `timeout` passes).
func rebuildToCompletion(_ live: ProjectionRunner, _ rebuild: ProjectionRebuild, timeout: Duration = .seconds(120)) async throws
    -> ProjectionRebuildStatus {
    let status = try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await live.run() }
        group.addTask { try await rebuild.run() }
        var status = try await rebuild.start()
        try await eventually("the rebuild is done (\(status))", timeout: timeout) {
            if status.state != .running { return true }
            status = try await rebuild.status()
            return status.state != .running
        }
        group.cancelAll()
        return status
    }
    await live.close()
    return status
}

/// Checks that a batch taking a counter below 0 fails whole: creates one client with
/// `profile`, deletes the counter row `damage` selects (SQL with the tenant as `$1`, as if the
/// table were damaged), applies `change`, and expects the batch to fail naming `table` while
/// every stats table and the offsets stay as they were.
func assertACounterBelowZeroParksItsStream(profile: ClientProfile, damage: String, change: ClientProfileChanges,
                                           table: String, file: StaticString = #filePath, line: UInt = #line) async throws {
    let log = try await ProjectionFixture.make(partitions: 1)
    let fixture = try await StatsFixture.make(on: log)
    var script = EventScript()
    let tenant = UUID()
    let id = UUID()
    let runner = fixture.runner()
    try await log.catchUp(runner, to: try await log.produce([try script.create(id, tenant: tenant, profile)]))
    let offsets = try await fixture.offsetsSum()
    XCTAssertEqual(offsets, 1, file: file, line: line)
    let removed = try await fixture.pool.execute(damage, [tenant])
    XCTAssertEqual(removed, 1, "the damage removed one counter row", file: file, line: line)
    let before = try await fixture.checksum()
    try await log.catchUp(runner, to: try await log.produce([try script.change(id, tenant: tenant, change)]))
    let parked = try await runner.quarantine().parked
    await runner.close()
    XCTAssertEqual(parked.map(\.streamId), [id], "the stream is parked, not the log", file: file, line: line)
    XCTAssertEqual(parked.first?.firstVersion, 2, file: file, line: line)
    XCTAssertTrue(parked.first?.reason.contains("a stats counter went below zero") ?? false, parked.first?.reason ?? "-",
                  file: file, line: line)
    XCTAssertTrue(parked.first?.reason.contains("table \(table)") ?? false, parked.first?.reason ?? "-", file: file, line: line)
    let after = try await fixture.checksum()
    XCTAssertEqual(after, before, "nothing of the parked event is kept, in any stats table", file: file, line: line)
    let offsetsAfter = try await fixture.offsetsSum()
    XCTAssertEqual(offsetsAfter, 2, "the offsets move past the parked event", file: file, line: line)
}
