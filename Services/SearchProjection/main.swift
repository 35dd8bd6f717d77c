import Infrastructure
import InternalAPI
import ProjectionHosting
import SearchReadModel
import ServiceRuntime

// The search projection: keeps a clients read model in its own PostgreSQL database from the
// events topic, with its Kafka offsets in the same transactions, and answers list, search,
// visibility (read-your-writes, per write or as a feed of applied versions), quarantine and
// rebuild requests for the gateway and clientctl.
//
// Variables: COMMAND_SERVICE_URL (where the clients' data keys come from), INTERNAL_TOKEN (required of callers in X-Internal-Token), DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS (and KAFKA_*), EVENTS_TOPIC,
// EVENTS_TOPIC_PARTITIONS, PROJECTION_BATCH_SIZE (records per transaction, 1000),
// REBUILD_MAX_EVENTS_PER_SECOND (0: unlimited), plus the common ones (see ServiceMain).
await ServiceMain.run(name: "search-projection", defaultPort: 8182) { setup in
    let token = try setup.requireInternalToken()
    // A list may name up to ClientListQuery.maxTenants tenants (37 bytes each in the query
    // string) beside its filters: more than the default 8 KiB request-target allows.
    setup.httpConfiguration.maxRequestTargetBytes = max(setup.httpConfiguration.maxRequestTargetBytes,
                                                        ClientListQuery.maxTenants * 37 + 4096)
    let batchSize = try setup.environment.int("PROJECTION_BATCH_SIZE", default: 1000, in: 1...100_000)
    let rebuildRate = try setup.environment.int("REBUILD_MAX_EVENTS_PER_SECOND", default: 0, in: 0...10_000_000)
    let pool = try await setup.openPostgres(migrations: SearchSchema.migrations, rebuildable: true)
    let events = try await setup.openEventsTopic()
    let pendingLists = GINPendingListCleaner(pool: pool, table: SearchSchema.table, logger: setup.logger)
    let projection = HostedProjection(setup: &setup, projection: "search", model: ClientSearchProjection(), pool: pool,
                                      keys: try setup.clientKeys(token: token),
                                      events: events, batchSize: batchSize,
                                      maxEventsPerSecond: rebuildRate == 0 ? nil : rebuildRate,
                                      committed: { pendingLists.noteApplied($0.appliedCount) })
    setup.services.append(pendingLists)
    // Get and visibility lookups wait for PostgreSQL on the HTTP event loop their routes run on.
    let search = ClientSearch(pool: pool, readiness: EventLoopPostgresReadiness())
    ProjectionRoutes(projection: projection, token: token, version: { try await search.version(of: $0) }).register(on: setup)
    SearchRoutes(search: search, token: token).register(on: setup)
}
