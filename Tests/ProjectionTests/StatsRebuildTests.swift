import ClientDomain
import Foundation
import HTTP
import InternalAPI
import Kafka
import Postgres
import Projection
import ServiceRuntime
import StatsReadModel
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The stats-projection executable: its internal routes over HTTP, and a rebuild killed with
/// SIGKILL in the middle that resumes and ends with identical counters.
final class StatsRebuildTests: XCTestCase {
    static let internalToken = "stats-rebuild-test-internal-token"
    static let authorized: HTTPHeaders = ["X-Internal-Token": internalToken]

    func testKilledMidRebuildResumesAndEndsIdentical() async throws {
        let log = try await ProjectionFixture.make()
        let fixture = try await StatsFixture.make(on: log)
        var script = EventScript()
        let tenant = UUID()
        let other = UUID()
        var events = try script.population(clients: 1300, tenant: tenant)
        events += try script.population(clients: 50, tenant: other)
        try await log.produce(events)
        let logs = try ProjectPaths.scratchDirectory("stats-projection")
        let environment = [
            "DATABASE_URL": fixture.databaseURL,
            "KAFKA_BOOTSTRAP_SERVERS": log.broker.bootstrapServers,
            "EVENTS_TOPIC": log.topic,
            "EVENTS_TOPIC_PARTITIONS": String(log.partitions),
            "PROJECTION_BATCH_SIZE": "100",
            "REBUILD_MAX_EVENTS_PER_SECOND": "2000",
            "INTERNAL_TOKEN": Self.internalToken,
        ]
        let client = HTTPClient()
        defer { client.shutdown() }
        var service = try ServiceProcess.start("stats-projection", environment: environment, logDirectory: logs)
        try await service.waitUntilReady(client: client)
        try await eventually("the live projection to apply every event", timeout: .seconds(60)) {
            try await fixture.offsetsSum() == Int64(events.count)
        }
        let live = try await fixture.checksum()

        // The figures over HTTP, only for callers with the internal token.
        let asOf = Timestamp.format(script.clock)
        let statsURL = service.baseURL + InternalPaths.stats
        let anonymous = try await client.execute(HTTPClientRequest(url: statsURL + "?tenantId=\(tenant)"))
        XCTAssertEqual(anonymous.status.code, 401)
        for (query, parameter) in [("", "tenantId"), ("?tenantId=\(tenant)&allTenants=true", "tenantId"), ("?tenantId=nope", "tenantId"),
                                   ("?tenantId=\(StatsSchema.allTenants)", "tenantId"), ("?allTenants=yes", "tenantId"),
                                   ("?tenantId=\(tenant)&asOf=yesterday", "asOf"),
                                   ("?tenantId=" + Array(repeating: tenant.uuidString, count: 1001).joined(separator: ","), "tenantId")] {
            let bad = try await client.execute(HTTPClientRequest(url: statsURL + query, headers: Self.authorized))
            XCTAssertEqual(bad.status.code, 400, query)
            XCTAssertTrue(String(decoding: bad.body, as: UTF8.self).contains("\"parameter\":\"\(parameter)\""), query)
        }
        let answered = try await client.execute(HTTPClientRequest(url: statsURL + "?tenantId=\(tenant)&asOf=\(asOf)", headers: Self.authorized))
        XCTAssertEqual(answered.status.code, 200)
        let figures = try InternalJSON.decoder().decode(ClientStats.self, from: Data(answered.body))
        let expected = try await fixture.stats(.tenants([tenant]), asOf: script.clock)
        XCTAssertEqual(figures, expected)
        XCTAssertEqual(figures.overview, .init(totalClients: 1040, inactiveClients: 693, trialClients: 347))
        let both = try await client.execute(HTTPClientRequest(url: statsURL + "?tenantId=\(tenant),\(other)", headers: Self.authorized))
        let all = try await client.execute(HTTPClientRequest(url: statsURL + "?allTenants=true", headers: Self.authorized))
        XCTAssertEqual(try InternalJSON.decoder().decode(ClientStats.self, from: Data(both.body)).overview.totalClients, 1080)
        XCTAssertEqual(try InternalJSON.decoder().decode(ClientStats.self, from: Data(all.body)).overview.totalClients, 1080)
        // As many tenants as a query may name (an admin of many companies) fit in one request.
        let many = ([tenant] + (1..<ClientListQuery.maxTenants).map { _ in UUID() }).map { $0.uuidString }.joined(separator: ",")
        let wide = try await client.execute(HTTPClientRequest(url: statsURL + "?tenantId=\(many)&asOf=\(asOf)", headers: Self.authorized))
        XCTAssertEqual(wide.status.code, 200)
        XCTAssertEqual(try InternalJSON.decoder().decode(ClientStats.self, from: Data(wide.body)), expected)
        // Its position for clientctl status.
        let status = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.status, headers: Self.authorized))
        let reported = try InternalJSON.decoder().decode(ServiceStatus.self, from: Data(status.body))
        XCTAssertEqual(reported.service, "stats-projection")
        XCTAssertEqual(reported.projections?.map(\.name), ["stats"])
        XCTAssertEqual(reported.projections?.first?.partitions.reduce(0) { $0 + $1.position }, Int64(events.count))

        // Start a rebuild and kill the process in the middle of it.
        let started = try await client.execute(HTTPClientRequest(method: .POST, url: service.baseURL + InternalPaths.rebuild,
                                                                 headers: Self.authorized))
        XCTAssertEqual(started.status.code, 202)
        try await eventually("the rebuild to be under way", timeout: .seconds(60)) {
            try await Self.progress(client, service).eventsApplied >= 1000
        }
        service.process.signal(SIGKILL)
        _ = service.process.waitForExit()
        let row = try await fixture.pool.query("SELECT state, events_applied FROM projection_rebuilds WHERE projection = 'stats'")[0]
        XCTAssertEqual(try row.decode(0, as: String.self), "running")
        let appliedAtKill = try row.decode(1, as: Int64.self)
        XCTAssertLessThan(appliedAtKill, Int64(events.count), "the kill must land before the rebuild finished")
        let shadowOffsets = try await fixture.offsetsSum("stats.rebuild")
        XCTAssertEqual(shadowOffsets, appliedAtKill, "progress and shadow offsets are committed together")
        let serving = try await fixture.stats(.tenants([tenant]), asOf: script.clock)
        XCTAssertEqual(serving, expected, "the live tables are untouched by the half-done rebuild")

        // Restarted, it resumes from the shadow's offsets and swaps in identical counters.
        service = try ServiceProcess.start("stats-projection", environment: environment, logDirectory: logs)
        try await service.waitUntilReady(client: client)
        var progress = try await Self.progress(client, service)
        try await eventually("the resumed rebuild to finish", timeout: .seconds(60)) {
            progress = try await Self.progress(client, service)
            return progress.state == .done
        }
        XCTAssertEqual(progress.eventsApplied, Int64(events.count), "each event replayed once across the crash")
        let rebuilt = try await fixture.checksum()
        XCTAssertEqual(rebuilt, live)

        // clientctl runs a second rebuild to completion.
        let ctl = try ManagedProcess(name: "clientctl", executable: ServiceProcess.binDirectory.appendingPathComponent("clientctl"),
                                     arguments: ["rebuild", "stats"],
                                     environment: ["STATS_SERVICE_URL": service.baseURL, "INTERNAL_TOKEN": Self.internalToken],
                                     logDirectory: logs)
        XCTAssertEqual(ctl.waitForExit(), 0, ctl.logTail())
        XCTAssertTrue(ctl.logTail().contains("rebuild of stats done: \(events.count) events applied"), ctl.logTail())
        let again = try await fixture.checksum()
        XCTAssertEqual(again, live)
        // The swapped-in tables have the migrated ones' indexes and storage parameters (the
        // fixed counters' HOT updates need `stats_counts`' fillfactor).
        let rebuiltLayout = try await Self.layout(fixture.pool)
        let migratedLayout = try await Self.layout(try await StatsFixture.make(on: log).pool)
        XCTAssertEqual(rebuiltLayout, migratedLayout)
        XCTAssertTrue(rebuiltLayout.contains("stats_counts [\"fillfactor=70\"]"), "\(rebuiltLayout)")
        let leftovers = try await fixture.pool.query("""
            SELECT count(*) FROM pg_tables WHERE tablename LIKE 'stats\\_%\\_rebuild' OR tablename LIKE 'stats\\_%\\_replaced'
            """)[0]
        XCTAssertEqual(try leftovers.decode(0, as: Int.self), 0)
        service.process.stop()
    }

    /// Each stats table's storage parameters, then its index definitions without index names.
    static func layout(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("""
            SELECT c.relname || ' ' || COALESCE(array_to_json(c.reloptions)::text, '[]') AS line
            FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'stats\\_%'
            UNION ALL
            SELECT regexp_replace(pg_get_indexdef(indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', 'CREATE \\1INDEX ON ')
            FROM pg_index WHERE indrelid::regclass::text LIKE 'stats\\_%'
            ORDER BY line
            """).map { try $0.decode(0, as: String.self) }
    }

    static func progress(_ client: HTTPClient, _ service: ServiceProcess) async throws -> RebuildProgress {
        let response = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.rebuild, headers: Self.authorized))
        return try InternalJSON.decoder().decode(RebuildProgress.self, from: Data(response.body))
    }
}
