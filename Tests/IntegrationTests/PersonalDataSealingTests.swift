import ClientDomain
import Crypto
import EventLog
import EventStore
import Foundation
import HTTP
import Kafka
import Postgres
import TestSupport
import XCTest

/// A client's personal data is sealed with its own key in the event store and on the log,
/// while the read models show it; a reader without the key parks the stream (never skips it);
/// once the key is shredded a rebuild shows nothing of the client; events stored before
/// sealing are sealed by `clientctl privacy encrypt-history`. (That the command service does
/// not start without its master key: `ServiceLifecycleTests`.)
final class PersonalDataSealingTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    /// Creates a client through the organization API (name, phone and notes: its personal fields).
    private func createClient(_ gateway: GatewayCaller, key: Credential, name: String, notes: String,
                              phone: String) async throws -> UUID {
        let created = try await gateway.call(.POST, "/api/v1/clients", as: key,
                                             json: ["name": .string(name), "notes": .string(notes), "phone": .string(phone)])
        XCTAssertEqual(created.status, 201, created.text)
        let id = created.json["data"]?.string("id")
        return try XCTUnwrap(id.flatMap(UUID.init(uuidString:)))
    }

    /// Every row of every table of the search read model, as text.
    private func searchDump(_ stack: ClienteleStack) async throws -> String {
        let search = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        defer { Task { await search.close() } }
        let tables = try await search.query("""
            SELECT quote_ident(table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            """).map { try $0.decode(0, as: String.self) }
        var dump = ""
        for table in tables {
            for row in try await search.query("SELECT t::text FROM \(table) t") { dump += try row.decode(0, as: String.self) + "\n" }
        }
        return dump
    }

    func testStoredEventsAndTheLogHoldNoPersonalDataWhileTheReadModelsShowIt() async throws {
        let stack = try await ClienteleStack.start("sealing", gatewayEnvironment: ["RATE_LIMIT_REQUESTS": "0"])
        defer { stack.stop() }
        let (_, _, secret) = try stack.createCompanyWithKey("Sealing Co")
        let gateway = GatewayCaller(http: http, stack: stack), key = Credential.apiKey(secret)
        let personal = ["Zelda Quaresma", "Zelda prefers mornings", "+61 400 123 987"]
        let id = try await createClient(gateway, key: key, name: personal[0], notes: personal[1], phone: personal[2])

        let got = try await gateway.call(.GET, "/api/v1/clients/\(id.uuidString)", as: key)
        XCTAssertEqual(got.status, 200)
        let shown = got.text
        for value in personal { XCTAssertTrue(shown.contains(value), "the API shows \(value): \(shown)") }

        let commands = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let stored = try await commands.query("SELECT data::text FROM events WHERE stream_id = $1", [id])
            .map { try $0.decode(0, as: String.self) }
        XCTAssertEqual(stored.count, 1)
        let keyRows = try await commands.query("SELECT count(*) FROM client_keys WHERE stream_id = $1 AND wrapped_key IS NOT NULL",
                                               [id])[0].decode(0, as: Int64.self)
        XCTAssertEqual(keyRows, 1, "the key is made with the stream's first event")
        await commands.close()
        for data in stored {
            XCTAssertTrue(data.contains("\"sealed\""), data)
            for value in personal { XCTAssertFalse(data.contains(value), "the stored event holds \(value): \(data)") }
        }

        let records = try await KafkaConsumer.readToEnd(topic: stack.topic, partitions: 4, broker: stack.broker)
        XCTAssertFalse(records.isEmpty)
        let log = records.map { String(decoding: $0.value, as: UTF8.self) }.joined(separator: "\n")
        XCTAssertTrue(log.contains("\"sealed\""), log)
        for value in personal { XCTAssertFalse(log.contains(value), "the log holds \(value)") }
    }

    /// Appends `envelope` to the store and its outbox as it is, as a writer without sealing did.
    private func storeAsIs(_ envelope: EventEnvelope, _ stack: ClienteleStack) async throws {
        let commands = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        try await commands.execute("""
            WITH appended AS (
                INSERT INTO events (event_id, stream_id, stream_version, tenant_id, type, schema_version, occurred_at,
                                    actor_kind, actor_id, correlation_id, causation_id, data, traceparent)
                VALUES ($1, $2, $3, $4, $5, $6, now(), 'system', 'test', 'sealing-test', NULL, $7::jsonb, NULL)
                RETURNING position)
            INSERT INTO outbox (position) SELECT position FROM appended
            """, [envelope.eventId, envelope.streamId, envelope.streamVersion, envelope.tenantId, envelope.type,
                  envelope.schemaVersion, String(decoding: envelope.data, as: UTF8.self)])
        await commands.close()
    }

    func testAStreamWhoseKeyIsUnknownIsParkedNeverSkipped() async throws {
        let stack = try await ClienteleStack.start("sealunknown", gatewayEnvironment: ["RATE_LIMIT_REQUESTS": "0"])
        defer { stack.stop() }
        let (companyId, _, secret) = try stack.createCompanyWithKey("Unknown Key Co")
        let gateway = GatewayCaller(http: http, stack: stack), key = Credential.apiKey(secret)
        // A client created by a writer whose key never reached the command service's table:
        // sealed under a key nobody can hand out.
        let stream = UUID()
        let created = ClientEvent.created(ClientCreated(profile: ClientProfile(name: "Keyless Person", status: .active)))
        var envelope = EventEnvelope(type: created.type, schemaVersion: created.schemaVersion, streamId: stream, streamVersion: 1,
                                     tenantId: try XCTUnwrap(UUID(uuidString: companyId)), occurredAt: Date(), actor: .system,
                                     correlationId: "sealing-test", causationId: nil, data: try created.encode())
        envelope.data = try EventSealing.seal(envelope, key: try XCTUnwrap(AESGCM(key: SecureRandom.bytes(count: 32))))
        try await storeAsIs(envelope, stack)
        let environment = ["SEARCH_SERVICE_URL": stack.searchProjection.baseURL, "STATS_SERVICE_URL": stack.statsProjection.baseURL,
                           "COMMAND_SERVICE_URL": stack.commandService.baseURL, "INTERNAL_TOKEN": stack.internalToken]
        try await eventually("the search and stats projections parked the stream") {
            let list = try stack.clientctl(["quarantine", "list"], environment: environment)
            return list.components(separatedBy: stream.uuidString.lowercased()).count == 3
        }
        let list = try stack.clientctl(["quarantine", "list"], environment: environment)
        XCTAssertTrue(list.contains("no data key is known"), list)
        // Other clients go on.
        let other = try await createClient(gateway, key: key, name: "Keyed Person", notes: "keyed notes", phone: "+61 400 000 001")
        let got = try await gateway.call(.GET, "/api/v1/clients/\(other.uuidString)", as: key)
        XCTAssertEqual(got.status, 200)
        XCTAssertNil(got.headers["X-Consistency"])
    }

    func testAfterTheKeyIsShreddedARebuildShowsNothingOfTheClient() async throws {
        let stack = try await ClienteleStack.start("sealshred", gatewayEnvironment: ["RATE_LIMIT_REQUESTS": "0"])
        defer { stack.stop() }
        let (_, _, secret) = try stack.createCompanyWithKey("Shred Co")
        let gateway = GatewayCaller(http: http, stack: stack), key = Credential.apiKey(secret)
        let erased = ["Orlanda Vexley", "Orlanda uses a wheelchair", "+61 400 555 999"]
        let kept = ["Percival Thorne", "Percival likes tea", "+61 400 777 654"]
        let erasedId = try await createClient(gateway, key: key, name: erased[0], notes: erased[1], phone: erased[2])
        let changed = try await gateway.call(.PATCH, "/api/v1/clients/\(erasedId.uuidString)", as: key,
                                             json: ["phone": "+61 400 555 999"])
        XCTAssertEqual(changed.status, 200)
        let keptId = try await createClient(gateway, key: key, name: kept[0], notes: kept[1], phone: kept[2])
        let before = try await searchDump(stack)
        for value in erased + kept { XCTAssertTrue(before.contains(value), "the search read model holds \(value)") }

        let commands = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let keys = ClientKeyStore(pool: commands, keyring: ClientKeyring(master: try XCTUnwrap(AESGCM(key: SecureRandom.bytes(count: 32)))))
        let shred = keys.shred(streamId: erasedId)
        try await commands.execute(shred.sql, shred.parameters)
        let remaining = try await commands.query("SELECT count(*) FROM client_keys WHERE stream_id = $1 AND wrapped_key IS NULL AND erased_at IS NOT NULL",
                                                 [erasedId])[0].decode(0, as: Int64.self)
        XCTAssertEqual(remaining, 1)
        await commands.close()

        let output = try stack.clientctl(["rebuild", "search"], environment: ["SEARCH_SERVICE_URL": stack.searchProjection.baseURL,
                                                                             "INTERNAL_TOKEN": stack.internalToken])
        XCTAssertTrue(output.contains("rebuild of search done"), output)
        let after = try await searchDump(stack)
        for value in erased { XCTAssertFalse(after.contains(value), "the rebuilt read model holds \(value)") }
        XCTAssertFalse(after.contains("Orlanda"))
        for value in kept { XCTAssertTrue(after.contains(value), "the rebuilt read model lost \(value)") }
        let gone = try await gateway.call(.GET, "/api/v1/clients/\(erasedId.uuidString)", as: key)
        XCTAssertEqual(gone.status, 404)
        let other = try await gateway.call(.GET, "/api/v1/clients/\(keptId.uuidString)", as: key)
        XCTAssertEqual(other.status, 200)
        let quarantine = try stack.clientctl(["quarantine", "list"], environment: ["SEARCH_SERVICE_URL": stack.searchProjection.baseURL,
                                                                                  "STATS_SERVICE_URL": stack.statsProjection.baseURL,
                                                                                  "INTERNAL_TOKEN": stack.internalToken])
        XCTAssertTrue(quarantine.hasPrefix("no parked streams"), "an erased client is not parked: \(quarantine)")
    }

    func testEncryptHistorySealsWhatWasStoredBeforeAndTheClientStaysWhole() async throws {
        let stack = try await ClienteleStack.start("sealhistory", gatewayEnvironment: ["RATE_LIMIT_REQUESTS": "0"])
        defer { stack.stop() }
        let (companyId, _, secret) = try stack.createCompanyWithKey("History Co")
        let gateway = GatewayCaller(http: http, stack: stack), key = Credential.apiKey(secret)
        let stream = UUID()
        let personal = ["Lenora Legacy", "+61 400 246 810", "Lenora was here before sealing"]
        let created = ClientEvent.created(ClientCreated(profile: ClientProfile(name: personal[0], phone: personal[1], notes: personal[2],
                                                                               status: .active)))
        try await storeAsIs(EventEnvelope(type: created.type, schemaVersion: created.schemaVersion, streamId: stream, streamVersion: 1,
                                          tenantId: try XCTUnwrap(UUID(uuidString: companyId)), occurredAt: Date(), actor: .system,
                                          correlationId: "sealing-test", causationId: nil, data: try created.encode()), stack)
        try await eventually("the unsealed client is shown") {
            try await gateway.call(.GET, "/api/v1/clients/\(stream.uuidString)", as: key).status == 200
        }
        let environment = ["COMMAND_SERVICE_URL": stack.commandService.baseURL, "INTERNAL_TOKEN": stack.internalToken]
        let output = try stack.clientctl(["privacy", "encrypt-history"], environment: environment)
        XCTAssertTrue(output.contains("1 events sealed now"), output)
        XCTAssertTrue(output.contains("republish of epoch 1 done"), output)

        let commands = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let stored = try await commands.query("SELECT data::text FROM events WHERE stream_id = $1", [stream])[0].decode(0, as: String.self)
        await commands.close()
        XCTAssertTrue(stored.contains("\"sealed\""), stored)
        for value in personal { XCTAssertFalse(stored.contains(value), "the stored event still holds \(value)") }
        let records = try await KafkaConsumer.readToEnd(topic: stack.topic, partitions: 4, broker: stack.broker)
        let republished = records.filter { record in record.headers.contains { $0.name == "clientele-log-epoch" } }
            .map { String(decoding: $0.value, as: UTF8.self) }
        XCTAssertFalse(republished.isEmpty)
        for value in personal { XCTAssertFalse(republished.joined().contains(value), "the new log holds \(value)") }

        // The command service reads the sealed history; the projections read the new log.
        let changed = try await gateway.call(.PATCH, "/api/v1/clients/\(stream.uuidString)", as: key, json: ["phone": "+61 400 000 999"])
        XCTAssertEqual(changed.status, 200, changed.text)
        let got = try await gateway.call(.GET, "/api/v1/clients/\(stream.uuidString)", as: key)
        XCTAssertTrue(got.text.contains(personal[0]))
        // Again: nothing left to seal.
        let again = try stack.clientctl(["privacy", "encrypt-history"], environment: environment)
        XCTAssertTrue(again.contains(" 0 events sealed now"), again)
    }
}
