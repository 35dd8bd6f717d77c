import ClientDomain
import EventLog
import Foundation
import Kafka
import Postgres
import InternalAPI
import Projection
import SearchReadModel
import ServiceRuntime
import TestSupport
import XCTest

/// A fresh search database and events topic, with helpers to produce events and run the
/// search projection over them.
struct ProjectionFixture {
    let pool: PostgresPool
    let databaseURL: String
    let broker: KafkaBroker
    let topic: String
    let partitions: Int32
    let metrics = MetricsRegistry()
    let waiters = AppliedVersionWaiters()

    /// - Parameter broker: the shared broker unless given (a private one for tests that restart it).
    static func make(partitions: Int32 = 4, broker: KafkaBroker? = nil) async throws -> ProjectionFixture {
        let url = try PostgresServer.shared().createDatabase("search")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 6))
        _ = try await MigrationRunner(migrations: SearchSchema.migrations).apply(on: pool)
        let broker = try broker ?? KafkaBroker.shared()
        let topic = KafkaBroker.uniqueTopic("search")
        try await broker.createTopic(topic, partitions: partitions)
        return ProjectionFixture(pool: pool, databaseURL: url, broker: broker, topic: topic, partitions: partitions)
    }

    /// Another database projecting the same topic (for comparing an independent replay).
    func sibling() async throws -> ProjectionFixture {
        let url = try PostgresServer.shared().createDatabase("search")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 6))
        _ = try await MigrationRunner(migrations: SearchSchema.migrations).apply(on: pool)
        return ProjectionFixture(pool: pool, databaseURL: url, broker: broker, topic: topic, partitions: partitions)
    }

    static var quietLogger: Logger { Logger(service: "test", level: .error, sink: LogSink { _ in }) }

    func runner(projection: String = "search", batchSize: Int = 500) -> ProjectionRunner {
        var configuration = ProjectionRunner.Configuration(projection: projection, target: .live, topic: topic,
                                                           partitionCount: partitions)
        configuration.batchSize = batchSize
        configuration.pollTimeout = .milliseconds(100)
        let waiters = self.waiters
        return ProjectionRunner(configuration: configuration, pool: pool, kafka: broker.configuration(),
                                model: ClientSearchProjection(), logger: Self.quietLogger, metrics: metrics,
                                committed: { outcome in
                                    waiters.parked(outcome.parked)
                                    waiters.published(outcome.applied)
                                })
    }

    /// Publishes `events` in order (keyed by client, as the relay does, in log epoch
    /// `logEpoch`) and returns each partition's end afterwards.
    @discardableResult
    func produce(_ events: [StoredEvent], logEpoch: Int64 = 0) async throws -> [Int32: Int64] {
        let producer = try KafkaProducer(configuration: broker.configuration())
        var ends: [Int32: Int64] = [:]
        for chunk in stride(from: 0, to: events.count, by: 5000) {
            let messages = events[chunk..<min(chunk + 5000, events.count)].map {
                CloudEventsKafkaBinding.message(for: $0, topic: topic, logEpoch: logEpoch)
            }
            for result in try await producer.sendBatch(messages) {
                let report = try result.get()
                ends[report.partition] = max(ends[report.partition] ?? 0, report.offset + 1)
            }
        }
        await producer.close(timeout: .seconds(5))
        return ends
    }

    /// Steps `runner` until it has applied up to `ends` (every partition's end if nil).
    func catchUp(_ runner: ProjectionRunner, to ends: [Int32: Int64]? = nil, timeout: Duration = .seconds(30)) async throws {
        // Each step waits on the broker itself: no pause between them.
        try await eventually("the projection caught up (\(runner.checkpoint))", timeout: timeout, pausing: false) {
            let checkpoint = runner.checkpoint
            if let ends, checkpoint.hasReached(ends) { return true }
            if ends == nil, checkpoint.isCaughtUp { return true }
            try await runner.step()
            return false
        }
    }

    /// An md5 over every row of `table`, ordered by id: equal read models, equal checksums.
    func checksum(_ table: String = "clients") async throws -> String {
        try await pool.query("""
            SELECT md5(COALESCE(string_agg(t::text, '|' ORDER BY t.id), '')) || ':' || count(*) FROM \(table) t
            """)[0].decode(0, as: String.self)
    }

    func offsetsSum(_ projection: String = "search") async throws -> Int64 {
        try await pool.query("SELECT COALESCE(sum(next_offset), 0)::bigint FROM projection_offsets WHERE projection = $1",
                             [projection])[0].decode(0, as: Int64.self)
    }
}

/// Builds stored events for test clients as the command service would write them.
struct EventScript {
    private(set) var position: Int64 = 0
    private(set) var versions: [UUID: Int64] = [:]
    var clock = Date(timeIntervalSince1970: 1_750_000_000)
    let actor = Actor(kind: .user, id: "tester")

    mutating func event(_ event: ClientEvent, client: UUID, tenant: UUID, at time: Date? = nil) throws -> StoredEvent {
        position += 1
        clock = clock.addingTimeInterval(0.001)
        let version = (versions[client] ?? 0) + 1
        versions[client] = version
        let envelope = EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: client, streamVersion: version,
                                     tenantId: tenant, occurredAt: time ?? clock, actor: actor, correlationId: "c-\(position)",
                                     causationId: nil, data: try event.encode())
        return StoredEvent(position: position, envelope: envelope)
    }

    mutating func create(_ client: UUID, tenant: UUID, _ profile: ClientProfile, number: Int64? = nil,
                         at time: Date? = nil) throws -> StoredEvent {
        try event(.created(ClientCreated(profile: profile, number: number)), client: client, tenant: tenant, at: time)
    }

    mutating func change(_ client: UUID, tenant: UUID, _ changes: ClientProfileChanges) throws -> StoredEvent {
        try event(.profileChanged(ClientProfileChanged(changes: changes)), client: client, tenant: tenant)
    }

    mutating func delete(_ client: UUID, tenant: UUID) throws -> StoredEvent {
        try event(.deleted(ClientDeleted()), client: client, tenant: tenant)
    }

    /// `clients` clients in one tenant, each created, changed twice, and every fifth deleted.
    mutating func population(clients: Int, tenant: UUID = UUID()) throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        for index in 0..<clients {
            let id = UUID()
            events.append(try create(id, tenant: tenant, ClientProfile(name: "Client\(index)", email: "c\(index)@example.com",
                                                                      phone: "+61400\(index)", status: .active)))
            events.append(try change(id, tenant: tenant, ClientProfileChanges(notes: .set("note \(index)"))))
            events.append(try change(id, tenant: tenant, ClientProfileChanges(status: index % 3 == 0 ? .trial : .inactive)))
            if index % 5 == 0 { events.append(try delete(id, tenant: tenant)) }
        }
        return events
    }
}
