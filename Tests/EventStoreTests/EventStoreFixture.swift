import ClientDomain
import Coordination
import EventStore
import Foundation
import Postgres
import ServiceRuntime
import TestSupport

/// A fresh database with the event store's schema, and a command handler over it.
struct EventStoreFixture {
    let pool: PostgresPool
    let store: PostgresEventStore
    let handler: ClientCommandHandler
    let wake = RelayWakeup()
    let tenant = UUID()
    let metadata = CommandMetadata(actor: Actor(kind: .user, id: "u1"), correlationId: "corr-1")

    static func make(poolSize: Int = 10) async throws -> EventStoreFixture {
        let server = try PostgresServer.shared()
        let url = try server.createDatabase("events_\(UInt32.random(in: 0...UInt32.max))")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: poolSize))
        _ = try await MigrationRunner(migrations: EventStoreSchema.migrations).apply(on: pool)
        return EventStoreFixture(pool: pool)
    }

    private init(pool: PostgresPool) {
        self.pool = pool
        self.store = PostgresEventStore(pool: pool)
        self.handler = ClientCommandHandler(store: store, wake: wake)
    }

    func create(_ profile: ClientProfile, id: UUID = UUID()) async throws -> CommandOutcome {
        try await handler.handle(.create(CreateClient(clientId: id, tenantId: tenant, profile: profile)), metadata: metadata)
    }

    /// Creates a client and returns its state afterwards.
    func createClient(_ profile: ClientProfile) async throws -> Client {
        guard let client = try await create(profile).client else { throw TestSupportError("create returned no client") }
        return client
    }

    static var quietLogger: Logger { Logger(service: "test", level: .error, sink: LogSink { _ in }) }
}
