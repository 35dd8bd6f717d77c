import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// The local broker keeps its log in memory: a restart loses every topic. The stack must
/// recover on its own (the command service creates the topic again and republishes its
/// store, the search projection reads the new log from the start) and end where it was,
/// with nothing applied twice. Then `clientctl republish` does the same on request, and
/// a command service started after the broker lost the log republishes at start.
final class BrokerRestartTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    /// Creates `count` clients concurrently; returns their ids and names. Fails the test for
    /// any answer but 201.
    private func create(_ gateway: GatewayCaller, as key: Credential, count: Int, prefix: String) async throws -> [String: String] {
        try await withThrowingTaskGroup(of: (String, GatewayReply).self) { group in
            for index in 0..<count {
                let name = "\(prefix) \(index)"
                group.addTask { (name, try await gateway.call(.POST, "/api/v1/clients", as: key, json: ["name": .string(name)])) }
            }
            var created: [String: String] = [:]
            for try await (name, reply) in group {
                XCTAssertEqual(reply.status, 201, "create \(name): \(reply.text)")
                if let id = reply.json["data"]?.string("id") { created[id] = name }
            }
            return created
        }
    }

    /// Sets every client's notes to `notes`, concurrently; fails the test for any answer but 200.
    private func patch(_ gateway: GatewayCaller, as key: Credential, _ ids: some Collection<String>, notes: String) async throws {
        try await withThrowingTaskGroup(of: (String, GatewayReply).self) { group in
            for id in ids {
                group.addTask { (id, try await gateway.call(.PATCH, "/api/v1/clients/\(id)", as: key, json: ["notes": .string(notes)])) }
            }
            for try await (id, reply) in group {
                XCTAssertEqual(reply.status, 200, "PATCH \(id): \(reply.text)")
            }
        }
    }

    /// Each client's latest version in the event store (the command service's view).
    private func storedVersions(_ stack: ClienteleStack) async throws -> [String: Int64] {
        try await versions(stack.commandDatabase, """
            SELECT stream_id::text, max(stream_version) FROM events GROUP BY stream_id
            """)
    }

    /// Each client's version in the search read model.
    private func searchVersions(_ stack: ClienteleStack) async throws -> [String: Int64] {
        try await versions(stack.searchDatabase, "SELECT id::text, version FROM clients")
    }

    private func versions(_ database: String, _ sql: String) async throws -> [String: Int64] {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: database, poolSize: 1))
        let rows = try await pool.query(sql)
        await pool.close()
        var versions: [String: Int64] = [:]
        for row in rows {
            let id = try row.decode(0, as: String.self)
            XCTAssertNil(versions[id], "\(id) twice")
            versions[id] = try row.decode(1, as: Int64.self)
        }
        return versions
    }

    private func scalar(_ database: String, _ sql: String) async throws -> String {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: database, poolSize: 1))
        let rows = try await pool.query(sql)
        await pool.close()
        return try rows[0].decode(0, as: String.self)
    }

    /// A sample of the search projection's metrics, by its exact name and labels.
    private func metric(_ stack: ClienteleStack, _ series: String) async throws -> Double {
        try await MetricsScrape.read(stack.searchProjection, of: stack, http: http).value(series) ?? 0
    }

    /// Waits until the read model holds every client at its stored version (and `extra`
    /// holds), or fails with the last difference.
    private func waitForReadModel(_ stack: ClienteleStack, timeout: Duration,
                                  until extra: @escaping () async throws -> Bool = { true }) async throws {
        var stored: [String: Int64] = [:]
        var search: [String: Int64] = [:]
        func difference() -> String {
            let behind = stored.filter { search[$0.key] != $0.value }
            return "\(behind.count) clients differ, e.g. \(behind.prefix(3)) vs \(behind.prefix(3).map { search[$0.key] })"
        }
        try await eventually("the read model matches the event store (\(difference()))", timeout: timeout) {
            stored = try await storedVersions(stack)
            search = try await searchVersions(stack)
            guard stored == search else { return false }
            return try await extra()
        }
    }

    private static let applied = #"clientele_projection_events_applied_total{projection="search"}"#
    private static let duplicates = #"clientele_projection_events_skipped_total{projection="search",reason="duplicate"}"#

    func testTheStackRecoversOnItsOwnFromABrokerRestartAndClientctlRepublishes() async throws {
        let started = ContinuousClock.now
        // A short message time-out lets the relay give up on sends to the gone broker quickly;
        // a short read-your-writes wait keeps the answers during the recovery quick.
        let stack = try await ClienteleStack.start("broker_restart", gatewayEnvironment: ["READ_YOUR_WRITES_TIMEOUT_MS": "300"],
                                                   commandEnvironment: ["KAFKA_MESSAGE_TIMEOUT_MS": "5000"], privateBroker: true)
        defer { stack.stop() }
        let gateway = GatewayCaller(http: http, stack: stack)
        let key = Credential.apiKey(try stack.createCompanyWithKey("Restart Ltd").secret)

        var clients = try await create(gateway, as: key, count: 20, prefix: "Before")
        try await patch(gateway, as: key, clients.keys, notes: "first")
        try await waitForReadModel(stack, timeout: .seconds(20))
        let appliedBefore = try await metric(stack, Self.applied)
        XCTAssertEqual(appliedBefore, 40)

        try stack.broker.restart()
        let restartedAt = ContinuousClock.now
        // Writes go on while the log is gone: stored, acknowledged, published later.
        clients.merge(try await create(gateway, as: key, count: 10, prefix: "After")) { $1 }
        try await patch(gateway, as: key, clients.keys, notes: "second")
        XCTAssertEqual(clients.count, 30)

        let eventCount = { [stack] in Double(try await self.scalar(stack.commandDatabase, "SELECT count(*)::text FROM events")) ?? -1 }
        try await waitForReadModel(stack, timeout: .seconds(90)) {
            try await self.metric(stack, Self.applied) == eventCount()
        }
        let recoveredIn = ContinuousClock.now - restartedAt
        let total = try await eventCount()
        XCTAssertEqual(total, 20 * 2 + 10 + 30)
        // Every stored event applied exactly once across the restart: the republished
        // copies of the first 40 were skipped as duplicates, not applied again.
        let applied = try await metric(stack, Self.applied)
        XCTAssertEqual(applied, total, "events applied by the projection")
        let skipped = try await metric(stack, Self.duplicates)
        XCTAssertGreaterThanOrEqual(skipped, appliedBefore, "the republished events reached the projection")
        let rewinds = try await metric(stack, #"clientele_projection_log_rewinds_total{projection="search",reason="new_log_epoch"}"#)
        XCTAssertGreaterThanOrEqual(rewinds, 1)
        let republish = try await scalar(stack.commandDatabase,
                                         "SELECT state || ' ' || reason || ' ' || events_published FROM log_republishes ORDER BY epoch DESC LIMIT 1")
        XCTAssertTrue(["done topic_missing", "done log_lost"].contains(republish.split(separator: " ").prefix(2).joined(separator: " ")),
                      republish)
        // The API shows each client once, with its last write.
        let list = try await gateway.call(.GET, "/api/v1/clients?limit=100", as: key)
        let rows = list.json.array("data")
        XCTAssertEqual(list.json.int("total"), 30)
        XCTAssertEqual(Set(rows.compactMap { $0.string("id") }), Set(clients.keys))
        XCTAssertTrue(rows.allSatisfy { $0.string("notes") == "second" && clients[$0.string("id") ?? ""] == $0.string("name") })

        // On request: the whole store again, in a new epoch; the read model stays, nothing
        // is applied again.
        let output = try stack.clientctl(["republish"], environment: ["COMMAND_SERVICE_URL": stack.commandService.baseURL,
                                                                      "INTERNAL_TOKEN": stack.internalToken])
        XCTAssertTrue(output.contains("done: \(Int(total)) events published"), output)
        let expectedSkips = skipped + total
        try await waitForReadModel(stack, timeout: .seconds(30)) {
            try await self.metric(stack, Self.duplicates) >= expectedSkips
        }
        let appliedAfter = try await metric(stack, Self.applied)
        XCTAssertEqual(appliedAfter, total, "a requested republish applies nothing again")
        let status = try stack.clientctl(["republish", "--status"], environment: ["COMMAND_SERVICE_URL": stack.commandService.baseURL,
                                                                                  "INTERNAL_TOKEN": stack.internalToken])
        XCTAssertTrue(status.contains("(operator)"), status)

        // The command service stopped while the broker restarted (as when run.sh is stopped
        // and started again): at start it finds the log shorter than it published.
        stack.commandService.process.stop()
        try stack.broker.restart()
        try await stack.restartCommandService()
        clients.merge(try await create(gateway, as: key, count: 5, prefix: "Later")) { $1 }
        try await waitForReadModel(stack, timeout: .seconds(60)) {
            try await self.metric(stack, Self.applied) == eventCount()
        }
        let lastTotal = try await eventCount()
        XCTAssertEqual(lastTotal, total + 5)
        let lastApplied = try await metric(stack, Self.applied)
        XCTAssertEqual(lastApplied, lastTotal, "events applied by the projection")
        let last = try await scalar(stack.commandDatabase, "SELECT state || ' ' || reason FROM log_republishes ORDER BY epoch DESC LIMIT 1")
        XCTAssertEqual(last, "done log_lost")
        print("broker restart test: recovered in \(recoveredIn) (\(republish)); took \(ContinuousClock.now - started)")
    }
}
