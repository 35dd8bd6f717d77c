import Infrastructure
import InternalAPI
import ProjectionHosting
import ServiceRuntime
import StatsReadModel

// The stats projection: keeps counters of live clients (per tenant, and summed over all
// tenants) in its own PostgreSQL database from the events topic, with its Kafka offsets in
// the same transactions, and answers stats, visibility (the admin API's writes wait for the
// stats too), quarantine and rebuild requests for the gateway and clientctl.
//
// Variables: COMMAND_SERVICE_URL (where the clients' data keys come from), INTERNAL_TOKEN (required of callers in X-Internal-Token), DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS (and KAFKA_*),
// EVENTS_TOPIC, EVENTS_TOPIC_PARTITIONS, PROJECTION_BATCH_SIZE (records per transaction, 1000),
// REBUILD_MAX_EVENTS_PER_SECOND (0: unlimited), plus the common ones (see ServiceMain).
await ServiceMain.run(name: "stats-projection", defaultPort: 8183) { setup in
    let token = try setup.requireInternalToken()
    // A stats query may name up to ClientListQuery.maxTenants tenants (37 bytes each in the
    // query string): more than the default 8 KiB request-target allows.
    setup.httpConfiguration.maxRequestTargetBytes = max(setup.httpConfiguration.maxRequestTargetBytes,
                                                        ClientListQuery.maxTenants * 37 + 1024)
    let batchSize = try setup.environment.int("PROJECTION_BATCH_SIZE", default: 1000, in: 1...100_000)
    let rebuildRate = try setup.environment.int("REBUILD_MAX_EVENTS_PER_SECOND", default: 0, in: 0...10_000_000)
    let pool = try await setup.openPostgres(migrations: StatsSchema.migrations, rebuildable: true)
    let events = try await setup.openEventsTopic()
    // Batches of a tenth of a second cost the database and the broker a fraction of 10 ms
    // ones, since a stats batch costs about the same for few events as for many (measured:
    // docs/performance.md, design measurements); the admin API's writes, which wait for the
    // stats too, take up to that much longer. KAFKA_FETCH_WAIT_MAX_MS overrides it.
    let projection = HostedProjection(setup: &setup, projection: "stats", model: ClientStatsProjection(), pool: pool,
                                      keys: try setup.clientKeys(token: token),
                                      events: events, batchSize: batchSize, fetchWait: .milliseconds(100),
                                      maxEventsPerSecond: rebuildRate == 0 ? nil : rebuildRate)
    let statistics = ClientStatistics(pool: pool)
    ProjectionRoutes(projection: projection, token: token, version: { try await statistics.version(of: $0) }).register(on: setup)
    StatsRoutes(statistics: statistics, token: token).register(on: setup)
}
