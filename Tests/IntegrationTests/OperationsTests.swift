import Foundation
import HTTP
import Kafka
import Postgres
import TestSupport
import XCTest

/// What an operator relies on, end to end: one trace and correlation id followed from a
/// gateway request into the command service, the stored events, the Kafka headers and the
/// search projection's log lines; the metrics each service exposes; and `clientctl status`.
///
/// One stack for the class, with the command service and the search projection logging at
/// debug level (their per-command and per-event lines are debug lines).
final class OperationsTests: XCTestCase {
    private static let holder = SharedStack {
        try await ClienteleStack.start("operations", commandEnvironment: ["LOG_LEVEL": "debug"],
                                       searchEnvironment: ["LOG_LEVEL": "debug"])
    }
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    private var stack: ClienteleStack {
        get async throws { try await Self.holder.stack() }
    }

    /// The first log line of `service` matching `predicate`, waiting up to 10 s for it.
    private func logLine(_ service: ServiceProcess, where predicate: ([String: String]) -> Bool) async throws -> [String: String] {
        try await eventuallyValue("a matching log line from \(service.name):\n\(service.process.logTail())", timeout: .seconds(10)) {
            service.logLines().first(where: predicate)
        }
    }

    func testOneTraceAndCorrelationIdFollowAWriteThroughEveryService() async throws {
        let stack = try await stack
        let (_, _, secret) = try stack.createCompanyWithKey("Traced Co \(UUID().uuidString.prefix(8))")
        let gateway = GatewayCaller(http: http, stack: stack), key = Credential.apiKey(secret)
        let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
        let callerSpan = "00f067aa0ba902b7"

        // A create with only a traceparent: its trace id is the correlation id too.
        let created = try await gateway.call(.POST, "/api/v1/clients", as: key, json: ["name": "Trace Me"],
                                             headers: ["traceparent": "00-\(traceId)-\(callerSpan)-01"])
        XCTAssertEqual(created.status, 201, created.excerpt)
        XCTAssertEqual(created.headers["x-correlation-id"], traceId)
        let gatewayRequestId = try XCTUnwrap(created.headers["x-request-id"])
        let id = try XCTUnwrap(created.json["data"]?.string("id"))

        let command = try await logLine(stack.commandService) { $0["msg"] == "client command handled" && $0["client_id"] == id }
        XCTAssertEqual(command["trace_id"], traceId)
        XCTAssertEqual(command["correlation_id"], traceId)
        XCTAssertEqual(command["request_id"], gatewayRequestId, "the gateway passes its request id on")
        let projected = try await logLine(stack.searchProjection) {
            $0["msg"] == "projection handled event" && $0["client_id"] == id && $0["version"] == "1"
        }
        XCTAssertEqual(projected["trace_id"], traceId)
        XCTAssertEqual(projected["correlation_id"], traceId)
        XCTAssertEqual(projected["projection"], "search")

        // The stored event: correlation id, the request as causation, and the command
        // service's own span in the caller's trace.
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let row = try await pool.query("SELECT correlation_id, causation_id, traceparent FROM events WHERE stream_id = $1::uuid",
                                       [id])[0]
        await pool.close()
        XCTAssertEqual(try row.decode(0, as: String.self), traceId)
        XCTAssertEqual(try row.decode(1, as: String.self), gatewayRequestId)
        let stored = try row.decode(2, as: String.self)
        let parts = stored.split(separator: "-").map(String.init)
        XCTAssertEqual(parts.count, 4, stored)
        XCTAssertEqual(parts[1], traceId)
        XCTAssertNotEqual(parts[2], callerSpan, "the command service's span is not the caller's")
        XCTAssertEqual(parts[3], "01", "the caller's sampling flag is kept")

        // The Kafka record carries it as a `traceparent` header.
        let records = try await KafkaConsumer.readToEnd(topic: stack.topic, partitions: 4, broker: stack.broker)
        let record = try XCTUnwrap(records.first { record in
            record.headers.contains { $0.name == "ce_subject" && $0.value == Array(id.utf8) }
        })
        XCTAssertEqual(record.headers.first { $0.name == "traceparent" }?.value.map { String(decoding: $0, as: UTF8.self) }, stored)

        // An explicit correlation id wins over the trace id; the trace id still follows.
        let otherTrace = "0af7651916cd43dd8448eb211c80319c"
        let updated = try await gateway.call(.PATCH, "/api/v1/clients/\(id)", as: key, json: ["notes": "traced again"],
                                             headers: ["traceparent": "00-\(otherTrace)-b7ad6b7169203331-00",
                                                       "X-Correlation-Id": "ops-correlation-42"])
        XCTAssertEqual(updated.status, 200, updated.excerpt)
        let commandUpdate = try await logLine(stack.commandService) {
            $0["msg"] == "client command handled" && $0["client_id"] == id && $0["version"] == "2"
        }
        XCTAssertEqual(commandUpdate["correlation_id"], "ops-correlation-42")
        XCTAssertEqual(commandUpdate["trace_id"], otherTrace)
        let projectedUpdate = try await logLine(stack.searchProjection) {
            $0["msg"] == "projection handled event" && $0["client_id"] == id && $0["version"] == "2"
        }
        XCTAssertEqual(projectedUpdate["correlation_id"], "ops-correlation-42")
        XCTAssertEqual(projectedUpdate["trace_id"], otherTrace)
    }

    func testMetricsShowRoutesLagOutboxAndPools() async throws {
        let stack = try await stack
        let (_, _, secret) = try stack.createCompanyWithKey("Metrics Co \(UUID().uuidString.prefix(8))")
        let caller = GatewayCaller(http: http, stack: stack), key = Credential.apiKey(secret)
        let created = try await caller.call(.POST, "/api/v1/clients", as: key, json: ["name": "Counted"])
        XCTAssertEqual(created.status, 201)
        let id = try XCTUnwrap(created.json["data"]?.string("id"))
        let fetched = try await caller.call(.GET, "/api/v1/clients/\(id)", as: key)
        XCTAssertEqual(fetched.status, 200)

        func metrics(_ service: ServiceProcess) async throws -> String {
            let response = try await http.execute(HTTPClientRequest(method: .GET, url: service.baseURL + "/metrics",
                                                                    headers: ["X-Internal-Token": stack.internalToken]))
            XCTAssertEqual(response.status.code, 200)
            return String(decoding: response.body, as: UTF8.self)
        }
        let gateway = try await metrics(stack.gateway)
        XCTAssertTrue(gateway.contains(#"http_requests_total{method="POST",route="/api/v1/clients",status="201"}"#), gateway)
        XCTAssertTrue(gateway.contains(#"http_request_duration_seconds_count{method="GET",route="/api/v1/clients/:id",status="200"}"#), gateway)
        XCTAssertFalse(gateway.contains(id), "routes are labelled by pattern, never by raw path")
        XCTAssertTrue(gateway.contains(#"clientele_db_pool_connections{state="idle"}"#), gateway)

        let command = try await metrics(stack.commandService)
        for name in ["clientele_outbox_backlog_entries ", "clientele_outbox_oldest_entry_age_seconds ",
                     "clientele_outbox_published_total ", "clientele_outbox_publish_age_seconds_count ",
                     #"clientele_db_pool_connections{state="in_use"}"#,
                     "clientele_db_pool_waiting ", "clientele_db_pool_max_connections "] {
            XCTAssertTrue(command.contains(name), "command-service lacks \(name): \(command)")
        }
        let search = try await metrics(stack.searchProjection)
        for name in [#"clientele_projection_consumer_lag{partition="0",projection="search"}"#,
                     #"clientele_projection_position{partition="0",projection="search"}"#,
                     #"clientele_projection_log_end{partition="0",projection="search"}"#,
                     #"clientele_projection_caught_up{projection="search"}"#, "clientele_db_pool_waiting ",
                     #"clientele_projection_batch_seconds_count{projection="search",target="live"}"#,
                     #"clientele_projection_event_age_seconds_count{projection="search",target="live"}"#] {
            XCTAssertTrue(search.contains(name), "search-projection lacks \(name): \(search)")
        }
        let stats = try await metrics(stack.statsProjection)
        for name in [#"clientele_projection_position{partition="0",projection="stats"}"#,
                     #"clientele_projection_caught_up{projection="stats"}"#] {
            XCTAssertTrue(stats.contains(name), "stats-projection lacks \(name): \(stats)")
        }
        for service in [stack.statsProjection, stack.documentStore] {
            let text = try await metrics(service)
            XCTAssertTrue(text.contains(#"clientele_db_pool_connections{state="idle"}"#), "\(service.name): \(text)")
        }
    }

    func testClientctlStatusShowsLagAndOutboxBacklogReachingZero() async throws {
        let stack = try await stack
        let (_, _, secret) = try stack.createCompanyWithKey("Status Co \(UUID().uuidString.prefix(8))")
        let gateway = GatewayCaller(http: http, stack: stack), key = Credential.apiKey(secret)
        for index in 0..<12 {
            let reply = try await gateway.call(.POST, "/api/v1/clients", as: key, json: ["name": .string("Status \(index)")])
            XCTAssertEqual(reply.status, 201)
        }
        let environment = ["INTERNAL_TOKEN": stack.internalToken, "COMMAND_SERVICE_URL": stack.commandService.baseURL,
                           "SEARCH_SERVICE_URL": stack.searchProjection.baseURL, "STATS_SERVICE_URL": stack.statsProjection.baseURL]
        let clientctl = ServiceProcess.binDirectory.appendingPathComponent("clientctl").path

        // Poll the JSON until the search projection has no lag and the outbox is empty.
        var report: [String: Any] = [:]
        var output = ""
        try await eventually("lag and backlog reach 0: \(output)") {
            let result = try ExternalProgram.run(clientctl, ["status", "--json"], environment: environment)
            XCTAssertEqual(result.status, 0, result.standardError)
            output = result.standardOutput
            report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any],
                                   result.standardOutput)
            let projections = report["projections"] as? [[String: Any]] ?? []
            let search = projections.first { $0["name"] as? String == "search" }
            let stats = projections.first { $0["name"] as? String == "stats" }
            let outbox = report["outbox"] as? [String: Any]
            return search?["lag"] as? Int == 0 && stats?["lag"] as? Int == 0 && outbox?["entries"] as? Int == 0
        }
        let projections = try XCTUnwrap(report["projections"] as? [[String: Any]])
        let search = try XCTUnwrap(projections.first { $0["name"] as? String == "search" })
        XCTAssertEqual(search["state"] as? String, "running")
        XCTAssertEqual(search["caughtUp"] as? Bool, true)
        XCTAssertEqual(search["service"] as? String, "search-projection")
        let partitions = try XCTUnwrap(search["partitions"] as? [[String: Any]])
        XCTAssertEqual(partitions.map { $0["partition"] as? Int }, [0, 1, 2, 3])
        // Every stored event is in the log and applied: positions add up to the event count.
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let events = try await pool.query("SELECT count(*) FROM events")[0].decode(0, as: Int64.self)
        await pool.close()
        XCTAssertGreaterThanOrEqual(events, 12)
        XCTAssertEqual(partitions.reduce(0) { $0 + ($1["position"] as? Int ?? 0) }, Int(events))
        XCTAssertEqual(partitions.reduce(0) { $0 + ($1["logEnd"] as? Int ?? 0) }, Int(events))
        let stats = try XCTUnwrap(projections.first { $0["name"] as? String == "stats" })
        XCTAssertEqual(stats["state"] as? String, "running")
        XCTAssertEqual(stats["service"] as? String, "stats-projection")
        XCTAssertEqual(stats["caughtUp"] as? Bool, true)
        let statsPartitions = try XCTUnwrap(stats["partitions"] as? [[String: Any]])
        XCTAssertEqual(statsPartitions.reduce(0) { $0 + ($1["position"] as? Int ?? 0) }, Int(events))
        let outbox = try XCTUnwrap(report["outbox"] as? [String: Any])
        XCTAssertEqual(outbox["service"] as? String, "command-service")
        XCTAssertEqual(outbox["oldestEntryAgeSeconds"] as? Double, 0)
        XCTAssertEqual((report["failures"] as? [Any])?.count, 0)

        // The table names each projection and the outbox.
        let table = try ExternalProgram.run(clientctl, ["status"], environment: environment)
        XCTAssertEqual(table.status, 0, table.standardError)
        let lines = table.standardOutput.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("PROJECTION") == true, table.standardOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("search ") && $0.contains("search-projection") && $0.contains("running") },
                      table.standardOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("stats ") && $0.contains("stats-projection") && $0.contains("running") },
                      table.standardOutput)
        XCTAssertTrue(lines.contains { $0.hasPrefix("OUTBOX (command-service): 0 entries waiting") }, table.standardOutput)

        // A service that cannot be reached fails the command, named on standard error.
        let deadPort = try FreePort.next()
        let unreachable = try ExternalProgram.run(clientctl, ["status"], environment: environment.merging(
            ["SEARCH_SERVICE_URL": "http://127.0.0.1:\(deadPort)"]) { $1 })
        XCTAssertEqual(unreachable.status, 1)
        XCTAssertTrue(unreachable.standardError.contains("search-projection at http://127.0.0.1:\(deadPort)"), unreachable.standardError)
        XCTAssertTrue(unreachable.standardOutput.contains("OUTBOX (command-service)"), "what answered is still shown")
        // So does a wrong internal token.
        let refused = try ExternalProgram.run(clientctl, ["status", "--json"], environment: environment.merging(
            ["INTERNAL_TOKEN": "not-the-internal-token-at-all"]) { $1 })
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.standardError.contains("command-service"), refused.standardError)
        XCTAssertTrue(refused.standardError.contains("401"), refused.standardError)
    }
}
