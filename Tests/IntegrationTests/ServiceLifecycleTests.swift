import Foundation
import HTTP
import Kafka
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Every executable starts from its environment, serves its health routes, answers unbuilt
/// routes with 501, and stops cleanly on SIGTERM; bad configuration fails fast.
final class ServiceLifecycleTests: XCTestCase {
    func testEveryServiceStartsServesHealthAndStopsCleanly() async throws {
        let postgres = try PostgresServer.shared()
        let broker = try KafkaBroker.shared()
        let logs = try ProjectPaths.scratchDirectory("lifecycle")
        let topic = "lifecycle-events-\(UInt32.random(in: 0...UInt32.max))"
        let token = "lifecycle-internal-token-0123456789"
        let kafka = ["KAFKA_BOOTSTRAP_SERVERS": broker.bootstrapServers, "EVENTS_TOPIC": topic, "EVENTS_TOPIC_PARTITIONS": "4",
                     "INTERNAL_TOKEN": token]
        func database(_ name: String) throws -> String { try postgres.createDatabase("\(name)_\(UInt32.random(in: 0...UInt32.max))") }

        // The command service starts once on its database and is restarted on it below, so
        // its migrations run again over existing tables (PostgreSQL then sends notices, which
        // must not reach the log as plain text).
        let commandEnvironment = kafka.merging(["DATABASE_URL": try database("commands"),
                                                "DATA_MASTER_KEY": ClienteleStack.newDataMasterKey()]) { $1 }
        let firstRun = try ServiceProcess.start("command-service", environment: commandEnvironment,
                                                logDirectory: try ProjectPaths.scratchDirectory("lifecycle-first-run"))
        // At once after "listening": a stop that comes that early must not be lost either.
        firstRun.process.signal(SIGTERM)
        try await eventually("command-service exits on SIGTERM:\n\(firstRun.process.logTail())") { !firstRun.process.isRunning }
        XCTAssertEqual(firstRun.process.waitForExit(), 0, firstRun.process.logTail())

        var services: [ServiceProcess] = []
        services.append(try ServiceProcess.start("command-service", environment: commandEnvironment, logDirectory: logs))
        let keySource = ["COMMAND_SERVICE_URL": services[0].baseURL]
        services.append(try ServiceProcess.start("search-projection", environment: kafka.merging(["DATABASE_URL": try database("search")]) { $1 }
            .merging(keySource) { $1 }, logDirectory: logs))
        services.append(try ServiceProcess.start("stats-projection", environment: kafka.merging(["DATABASE_URL": try database("stats")]) { $1 }
            .merging(keySource) { $1 }, logDirectory: logs))
        services.append(try ServiceProcess.start("document-store", environment: ["DATABASE_URL": try database("documents"),
                                                                                 "DOCUMENT_DIRECTORY": logs.appendingPathComponent("documents").path,
                                                                                 "INTERNAL_TOKEN": token], logDirectory: logs))
        services.append(try ServiceProcess.start("crm-sync", environment: kafka.merging(["DATABASE_URL": try database("crm")]) { $1 }
            .merging(keySource) { $1 },
                                                 logDirectory: logs))
        let gateway = try ServiceProcess.start("gateway", environment: [
            "COMMAND_SERVICE_URL": services[0].baseURL, "SEARCH_SERVICE_URL": services[1].baseURL,
            "STATS_SERVICE_URL": services[2].baseURL, "DOCUMENT_SERVICE_URL": services[3].baseURL,
            "DATABASE_URL": try database("gateway"), "INTERNAL_TOKEN": token,
            "JWT_KEYS": "lifecycle1:" + Data(repeating: 7, count: 32).base64EncodedString(),
        ], logDirectory: logs)
        services.append(gateway)

        let client = HTTPClient(configuration: HTTPClientConfiguration())
        defer { client.shutdown() }
        for service in services {
            try await service.waitUntilReady(client: client)
            let health = try await client.execute(HTTPClientRequest(method: .GET, url: service.baseURL + "/healthz"))
            XCTAssertEqual(health.status.code, 200, service.name)
            let body = try JSONSerialization.jsonObject(with: Data(health.body)) as? [String: Any]
            XCTAssertEqual(body?["status"] as? String, "ok", service.name)
            XCTAssertEqual(body?["service"] as? String, service.name)

            // /readyz says ready or not to anyone, and each check's outcome only to a caller with the token.
            let ready = try await client.execute(HTTPClientRequest(method: .GET, url: service.baseURL + "/readyz"))
            let readyBody = try JSONSerialization.jsonObject(with: Data(ready.body)) as? [String: Any]
            XCTAssertNil(readyBody?["checks"], service.name)
            let detailed = try await client.execute(HTTPClientRequest(method: .GET, url: service.baseURL + "/readyz",
                                                                      headers: ["X-Internal-Token": token]))
            let detailedBody = try JSONSerialization.jsonObject(with: Data(detailed.body)) as? [String: Any]
            XCTAssertNotNil(detailedBody?["checks"], service.name)
            let unauthenticated = try await client.execute(HTTPClientRequest(method: .GET, url: service.baseURL + "/metrics"))
            XCTAssertEqual(unauthenticated.status.code, 401, "/metrics needs the internal token (\(service.name))")
            let metrics = try await client.execute(HTTPClientRequest(method: .GET, url: service.baseURL + "/metrics",
                                                                     headers: ["X-Internal-Token": token]))
            XCTAssertEqual(metrics.status.code, 200)
            XCTAssertEqual(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
            let text = String(decoding: metrics.body, as: UTF8.self)
            XCTAssertTrue(text.contains("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"), "\(service.name): \(text)")
        }

        // The topic was created with the configured partition count by the first service.
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: broker.bootstrapServers))
        let partitions = try await admin.partitionCount(of: topic, timeout: .seconds(10))
        XCTAssertEqual(partitions, 4)

        // Routes not built yet answer 501 with a JSON message; unknown routes 404.
        let unbuilt = try await client.execute(HTTPClientRequest(method: .GET, url: gateway.baseURL + "/api/frontend/appointments"))
        XCTAssertEqual(unbuilt.status.code, 501)
        let unbuiltBody = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(unbuilt.body)) as? [String: Any])
        XCTAssertEqual(unbuiltBody["error"] as? String, "not_implemented")
        XCTAssertTrue((unbuiltBody["message"] as? String)?.contains("not built yet") == true)
        let unknown = try await client.execute(HTTPClientRequest(method: .GET, url: gateway.baseURL + "/no/such/route"))
        XCTAssertEqual(unknown.status.code, 404)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(unknown.body)) as? [String: Any])

        // Request and correlation ids: echoed, and a traceparent's trace id is the correlation id.
        var traced = HTTPClientRequest(method: .GET, url: gateway.baseURL + "/api/clients")
        traced.headers.add(name: "traceparent", value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        let tracedResponse = try await client.execute(traced)
        XCTAssertEqual(tracedResponse.headers["x-correlation-id"], "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertNotNil(tracedResponse.headers["x-request-id"])

        // SIGTERM: each stops on its own with status 0, gateway first.
        for service in services.reversed() {
            service.process.signal(SIGTERM)
            try await eventually("\(service.name) exits on SIGTERM:\n\(service.process.logTail())") { !service.process.isRunning }
            XCTAssertEqual(service.process.waitForExit(), 0, "\(service.name):\n\(service.process.logTail())")
            let lines = service.logLines()
            XCTAssertEqual(lines.last?["msg"], "stopped", service.name)
            let raw = String(decoding: (try? Data(contentsOf: service.process.logFile)) ?? Data(), as: UTF8.self)
                .split(separator: "\n")
            XCTAssertEqual(raw.count, lines.count, "\(service.name) wrote lines that are not JSON objects: \(raw.prefix(5))")
            XCTAssertTrue(lines.allSatisfy { $0["service"] == service.name && $0["ts"] != nil && $0["level"] != nil })
        }
    }

    func testInvalidConfigurationExitsWithOneLineNamingTheVariable() throws {
        let logs = try ProjectPaths.scratchDirectory("bad-config")
        let cases: [(String, [String: String], String)] = [
            ("gateway", ["HTTP_PORT": "eighty"], "HTTP_PORT"),
            ("gateway", ["COMMAND_SERVICE_URL": "not a url", "INTERNAL_TOKEN": "lifecycle-internal-token-0123456789"],
             "COMMAND_SERVICE_URL"),
            ("gateway", ["LOG_LEVEL": "loud"], "LOG_LEVEL"),
            ("gateway", ["INTERNAL_TOKEN": ""], "INTERNAL_TOKEN"),
            ("gateway", ["INTERNAL_TOKEN": "short"], "INTERNAL_TOKEN"),
            ("gateway", ["INTERNAL_TOKEN": "lifecycle-internal-token-0123456789"], "JWT_KEYS"),
            ("gateway", ["INTERNAL_TOKEN": "lifecycle-internal-token-0123456789", "JWT_KEYS": "k1:c2hvcnQ="], "JWT_KEYS"),
            ("gateway", ["INTERNAL_TOKEN": "lifecycle-internal-token-0123456789",
                         "JWT_KEYS": "k1:" + Data(repeating: 7, count: 32).base64EncodedString(),
                         "ADMIN_EMAIL": "root@example.com", "ADMIN_PASSWORD": "short"], "ADMIN_PASSWORD"),
            ("gateway", ["INTERNAL_TOKEN": "lifecycle-internal-token-0123456789",
                         "JWT_KEYS": "k1:" + Data(repeating: 7, count: 32).base64EncodedString(),
                         "ADMIN_EMAIL": "root", "ADMIN_PASSWORD": "long enough password"], "ADMIN_EMAIL"),
            ("command-service", ["DATABASE_URL": "", "INTERNAL_TOKEN": "lifecycle-internal-token-0123456789",
                                 "DATA_MASTER_KEY": Data(repeating: 7, count: 32).base64EncodedString()], "DATABASE_URL"),
            ("command-service", ["INTERNAL_TOKEN": "lifecycle-internal-token-0123456789"], "DATA_MASTER_KEY"),
            ("command-service", ["INTERNAL_TOKEN": "lifecycle-internal-token-0123456789", "DATA_MASTER_KEY": "c2hvcnQ="],
             "DATA_MASTER_KEY"),
            ("command-service", ["INTERNAL_TOKEN": ""], "INTERNAL_TOKEN"),
            ("crm-sync", ["KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "EVENTS_TOPIC_PARTITIONS": "0",
                          "INTERNAL_TOKEN": "lifecycle-internal-token-0123456789"], "EVENTS_TOPIC_PARTITIONS"),
            ("crm-sync", ["KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"], "INTERNAL_TOKEN"),
        ]
        for (index, (executable, environment, variable)) in cases.enumerated() {
            let process = try ManagedProcess(name: "\(executable)-\(index)", executable: ServiceProcess.binDirectory.appendingPathComponent(executable),
                                             arguments: [], environment: environment.merging(["HTTP_PORT": environment["HTTP_PORT"] ?? "0"]) { $1 },
                                             logDirectory: logs)
            XCTAssertEqual(process.waitForExit(), 78, "\(executable) \(environment)")
            let output = process.logTail().split(separator: "\n")
            XCTAssertEqual(output.count, 1, "\(executable): \(output)")
            XCTAssertTrue(output.first?.contains(variable) == true, "\(executable): \(output)")
        }
    }
}
