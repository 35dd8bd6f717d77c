import ClientDomain
import Foundation
import HTTP
import Infrastructure
import InternalAPI
import Kafka
import Postgres
import Projection
import SearchReadModel
import ServiceRuntime
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Rebuilding the search read model by replay, in process and in the real executable
/// killed in the middle.
final class RebuildTests: XCTestCase {
    func testRebuildReplaysIntoShadowWhileLiveKeepsServingThenSwaps() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let tenant = UUID()
        let initial = try script.population(clients: 3000, tenant: tenant)
        var ends = try await fixture.produce(initial)
        let live = fixture.runner(batchSize: 1000)
        try await fixture.catchUp(live, to: ends)
        let rebuild = ProjectionRebuild(live: live, pool: fixture.pool, kafka: fixture.broker.configuration(),
                                        model: ClientSearchProjection(), logger: ProjectionFixture.quietLogger,
                                        metrics: fixture.metrics, batchSize: 1000)
        let search = ClientSearch(pool: fixture.pool)
        var produced = initial.count
        var measured = (events: Int64(0), seconds: 0.0)
        // The pending-list cleaner runs beside them as in the service, as often as it can.
        let cleaner = GINPendingListCleaner(pool: fixture.pool, table: SearchSchema.table, interval: .milliseconds(2), logger: ProjectionFixture.quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await live.run() }
            group.addTask { try await rebuild.run() }
            group.addTask { try await cleaner.run() }
            group.addTask {
                while !Task.isCancelled {
                    cleaner.noteApplied(1)
                    try await Task.sleep(for: .milliseconds(1))
                }
            }
            let start = ContinuousClock.now
            let started = try await rebuild.start()
            XCTAssertEqual(started.state, .running)
            let serving = try await search.list(ClientListQuery(tenantId: tenant, limit: 1))
            XCTAssertEqual(serving.total, 2400, "the live tables serve while the shadow fills")
            // The live model keeps serving and consuming while the shadow fills.
            let more = try script.population(clients: 100, tenant: tenant)
            ends = try await fixture.produce(more)
            produced += more.count
            var status = try await rebuild.status()
            try await eventually("the rebuild is done (\(status))", timeout: .seconds(60)) {
                if status.state != .running { return true }
                let page = try await search.list(ClientListQuery(tenantId: tenant, limit: 1))
                XCTAssertGreaterThanOrEqual(page.total, 2400, "the live tables serve during the rebuild")
                status = try await rebuild.status()
                return status.state != .running
            }
            let elapsed = ContinuousClock.now - start
            measured = (status.eventsApplied, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            XCTAssertEqual(status.state, .done)
            XCTAssertGreaterThanOrEqual(status.eventsApplied, Int64(initial.count))
            // After the swap the live projection goes on from the shadow's offsets.
            let after = try script.population(clients: 10, tenant: tenant)
            ends = try await fixture.produce(after)
            produced += after.count
            try await eventually("the live projection continued (\(live.checkpoint))") { live.checkpoint.hasReached(ends) }
            group.cancelAll()
        }
        await live.close()
        print("rebuild throughput: \(measured.events) events in \(String(format: "%.2f", measured.seconds)) s = "
              + "\(Int(Double(measured.events) / measured.seconds)) events/s (batch 1000, 4 partitions, live consuming too)")

        let offsets = try await fixture.offsetsSum()
        XCTAssertEqual(offsets, Int64(produced))
        let leftovers = try await fixture.pool.query("""
            SELECT (SELECT count(*) FROM projection_offsets WHERE projection = 'search.rebuild'),
                   (SELECT count(*) FROM pg_tables WHERE tablename IN ('clients_rebuild', 'clients_replaced'))
            """)[0]
        XCTAssertEqual(try leftovers.decode(0, as: Int.self), 0)
        XCTAssertEqual(try leftovers.decode(1, as: Int.self), 0)
        // The swapped-in model equals an independent replay of the same log.
        let reference = try await fixture.sibling()
        let replay = reference.runner(batchSize: 2000)
        try await reference.catchUp(replay, to: ends)
        await replay.close()
        let rebuilt = try await fixture.checksum()
        let expected = try await reference.checksum()
        XCTAssertEqual(rebuilt, expected)
        // The shadow was filled without its secondary indexes; it serves with all of them.
        let rebuiltIndexes = try await Self.indexDefinitions(fixture.pool)
        let migratedIndexes = try await Self.indexDefinitions(reference.pool)
        XCTAssertEqual(rebuiltIndexes, migratedIndexes)
        XCTAssertGreaterThan(rebuiltIndexes.count, 20)
    }

    /// The shadow's secondary indexes are built after the bulk load; a rebuild that dies
    /// part-way through building them lists only what is still missing when it comes back,
    /// and the list (which the swap requires to be empty) empties only when the shadow has
    /// every index the live table has.
    func testShadowIndexBuildsResumeWhereTheyStopped() async throws {
        let fixture = try await ProjectionFixture.make()
        let model = ClientSearchProjection()
        let pool = fixture.pool
        try await pool.withConnection { try model.prepareShadow(on: $0) }
        let all = try await pool.withConnection { try model.shadowCompletion(on: $0) }
        XCTAssertGreaterThan(all.count, 10, "the shadow starts without its secondary indexes")
        XCTAssertEqual(all.filter { $0.contains(" USING gin ") }, Array(all.prefix { $0.contains(" USING gin ") }),
                       "trigram indexes (the longest builds) come first")

        // Half of them are built and committed, then the process dies.
        for statement in all.prefix(all.count / 2) {
            try await pool.withTransaction { try $0.executeScript(statement) }
        }
        let remaining = try await pool.withConnection { try model.shadowCompletion(on: $0) }
        XCTAssertEqual(remaining, Array(all.dropFirst(all.count / 2)), "only what was not built is listed again")

        for statement in remaining {
            try await pool.withTransaction { try $0.executeScript(statement) }
        }
        let left = try await pool.withConnection { try model.shadowCompletion(on: $0) }
        XCTAssertEqual(left, [])
        let shadowIndexes = try await pool.query("""
            SELECT count(*) FROM pg_index WHERE indrelid = 'clients_rebuild'::regclass
            """)[0].decode(0, as: Int.self)
        let liveIndexes = try await pool.query("""
            SELECT count(*) FROM pg_index WHERE indrelid = 'clients'::regclass
            """)[0].decode(0, as: Int.self)
        XCTAssertEqual(shadowIndexes, liveIndexes)
        try await pool.execute("DROP TABLE clients_rebuild")
    }

    /// The `clients` table's index definitions, without their names (a rebuilt table's
    /// indexes are named by PostgreSQL).
    static func indexDefinitions(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("""
            SELECT regexp_replace(pg_get_indexdef(indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON ', 'CREATE \\1INDEX ON ')
            FROM pg_index WHERE indrelid = 'clients'::regclass ORDER BY 1
            """).map { try $0.decode(0, as: String.self) }
    }

    func testKilledMidRebuildResumesAndEndsIdentical() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let tenant = UUID()
        let events = try script.population(clients: 1300, tenant: tenant)
        try await fixture.produce(events)
        let logs = try ProjectPaths.scratchDirectory("search-projection")
        let environment = [
            "DATABASE_URL": fixture.databaseURL,
            "KAFKA_BOOTSTRAP_SERVERS": fixture.broker.bootstrapServers,
            "EVENTS_TOPIC": fixture.topic,
            "EVENTS_TOPIC_PARTITIONS": String(fixture.partitions),
            "PROJECTION_BATCH_SIZE": "100",
            "REBUILD_MAX_EVENTS_PER_SECOND": "2000",
            "INTERNAL_TOKEN": Self.internalToken,
        ]
        let client = HTTPClient()
        defer { client.shutdown() }
        var service = try ServiceProcess.start("search-projection", environment: environment, logDirectory: logs)
        try await service.waitUntilReady(client: client)
        try await eventually("the live projection to apply every event", timeout: .seconds(60)) {
            try await fixture.offsetsSum() == Int64(events.count)
        }
        let live = try await fixture.checksum()

        // The routes, over HTTP; only for callers with the internal token.
        let anonymous = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.clients + "?tenantId=\(tenant)"))
        XCTAssertEqual(anonymous.status.code, 401)
        let bad = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.clients + "?tenantId=\(tenant)&limit=5000", headers: Self.authorized))
        XCTAssertEqual(bad.status.code, 400)
        XCTAssertTrue(String(decoding: bad.body, as: UTF8.self).contains("\"parameter\":\"limit\""))
        let listed = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.clients
                                                                 + "?tenantId=\(tenant)&status=trial,inactive&sortBy=name&sortOrder=desc&limit=3",
                                                                 headers: Self.authorized))
        XCTAssertEqual(listed.status.code, 200)
        let page = try ClientListPage(internalJSON: JSONParser.parse(listed.body))
        XCTAssertEqual(page.total, 1040)
        XCTAssertEqual(page.data.map(\.profile.name), ["Client999", "Client998", "Client997"])
        // A caller of many companies: the most tenants a query may name still fit the request line.
        let manyTenants = ([tenant] + (1..<ClientListQuery.maxTenants).map { _ in UUID() }).map { $0.uuidString.lowercased() }
        let wide = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.clients
                                                               + "?tenantId=\(manyTenants.joined(separator: ","))&limit=1",
                                                               headers: Self.authorized))
        XCTAssertEqual(wide.status.code, 200, String(decoding: wide.body, as: UTF8.self))
        XCTAssertEqual(try ClientListPage(internalJSON: JSONParser.parse(wide.body)).total, 1040)
        let someone = try XCTUnwrap(page.data.first)
        let got = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.client(someone.id) + "?tenantId=\(tenant)", headers: Self.authorized))
        XCTAssertEqual(try ClientRecord(internalJSON: JSONParser.parse(got.body)), someone)
        let foreign = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.client(someone.id) + "?tenantId=\(UUID())", headers: Self.authorized))
        XCTAssertEqual(foreign.status.code, 404)
        let seen = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.visibility(someone.id) + "?version=3&timeoutMs=50", headers: Self.authorized))
        XCTAssertEqual(try ClientVisibility(internalJSON: JSONParser.parse(seen.body)), ClientVisibility(visible: true, version: 3))

        // Start a rebuild and kill the process in the middle of it.
        let started = try await client.execute(HTTPClientRequest(method: .POST, url: service.baseURL + InternalPaths.rebuild, headers: Self.authorized))
        XCTAssertEqual(started.status.code, 202)
        try await eventually("the rebuild to be under way", timeout: .seconds(60)) {
            try await Self.progress(client, service).eventsApplied >= 1000
        }
        service.process.signal(SIGKILL)
        _ = service.process.waitForExit()
        let row = try await fixture.pool.query("SELECT state, events_applied FROM projection_rebuilds WHERE projection = 'search'")[0]
        XCTAssertEqual(try row.decode(0, as: String.self), "running")
        let appliedAtKill = try row.decode(1, as: Int64.self)
        XCTAssertLessThan(appliedAtKill, Int64(events.count), "the kill must land before the rebuild finished")
        let shadowOffsets = try await fixture.offsetsSum("search.rebuild")
        XCTAssertEqual(shadowOffsets, appliedAtKill, "progress and shadow offsets are committed together")

        // Restarted, it resumes from the shadow's offsets and swaps in an identical model.
        service = try ServiceProcess.start("search-projection", environment: environment, logDirectory: logs)
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
                                     arguments: ["rebuild", "search"],
                                     environment: ["SEARCH_SERVICE_URL": service.baseURL, "INTERNAL_TOKEN": Self.internalToken],
                                     logDirectory: logs)
        XCTAssertEqual(ctl.waitForExit(), 0, ctl.logTail())
        XCTAssertTrue(ctl.logTail().contains("rebuild of search done: \(events.count) events applied"), ctl.logTail())
        XCTAssertTrue(ctl.logTail().contains("events/s"), ctl.logTail())
        let again = try await fixture.checksum()
        XCTAssertEqual(again, live)
        service.process.stop()
    }

    static let internalToken = "rebuild-test-internal-token"
    static let authorized: HTTPHeaders = ["X-Internal-Token": internalToken]

    static func progress(_ client: HTTPClient, _ service: ServiceProcess) async throws -> RebuildProgress {
        let response = try await client.execute(HTTPClientRequest(url: service.baseURL + InternalPaths.rebuild, headers: Self.authorized))
        return try InternalJSON.decoder().decode(RebuildProgress.self, from: Data(response.body))
    }
}
