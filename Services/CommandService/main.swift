import Coordination
import EventStore
import HTTP
import Infrastructure
import InternalAPI
import Kafka
import ServiceRuntime

// The command service: validates commands, appends events to its PostgreSQL event store
// with an outbox, and relays them to the Kafka events topic; republishes the whole store when
// the broker lost the log, or when an operator asks (`clientctl republish`).
//
// Variables: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS (and KAFKA_*), EVENTS_TOPIC,
// EVENTS_TOPIC_PARTITIONS, INTERNAL_TOKEN (the shared secret callers send in
// X-Internal-Token), IDEMPOTENCY_RETENTION_HOURS (24, at least 24), DATA_MASTER_KEY (required:
// base64 of 32 bytes, wraps every client's data key), plus the common ones (see ServiceMain).
await ServiceMain.run(name: "command-service", defaultPort: 8181) { setup in
    let token = try setup.requireInternalToken()
    let keyring = try setup.requireDataMasterKey()
    let retentionHours = try setup.environment.int("IDEMPOTENCY_RETENTION_HOURS", default: 24, in: 24...24 * 365)
    let pool = try await setup.openPostgres(migrations: CommandServiceMigrations.all)
    let events = try await setup.openEventsTopic()

    let wake = RelayWakeup()
    let logCheck = EventsLogCheck(kafka: events.configuration, admin: events.admin, topic: events.topic.name,
                                  partitions: events.topic.partitions)
    let vacuum = OutboxVacuum(pool: pool, logger: setup.logger)
    let relay = OutboxRelay(pool: pool, topic: events.topic.name, logger: setup.logger, metrics: setup.metrics, wake: wake,
                            logCheck: logCheck, vacuum: vacuum, makeProducer: { try KafkaProducer(configuration: OutboxRelay.producerConfiguration(events.configuration)) })
    let idempotency = IdempotencyStore(pool: pool)
    setup.services += [relay, vacuum]
    setup.services.append(IdempotencyKeyExpiry(store: idempotency, retention: .seconds(retentionHours * 3600),
                                                interval: .seconds(600), logger: setup.logger))

    // Creates run on the HTTP event loop that received them, and their batched appends wait
    // for PostgreSQL there: no hop to a pool thread and back (AppendBatcher).
    let keys = ClientKeyStore(pool: pool, keyring: keyring, readiness: EventLoopPostgresReadiness())
    let store = PostgresEventStore(pool: pool, readiness: EventLoopPostgresReadiness(), keys: keys)
    let endpoint = ClientCommandEndpoint(handler: ClientCommandHandler(store: store, wake: wake, numbers: ClientNumbers()),
                                         idempotency: idempotency, logger: setup.logger)
    setup.route(.POST, InternalPaths.clientCommands,
                options: RouteOptions(maxBodyBytes: ClientCommandEndpoint.maxBodyBytes, runsOnEventLoop: true),
                token.guarding { request in try await endpoint.respond(to: request) })
    let erasure = ClientErasureEndpoint(handler: endpoint.handler, erasures: ClientErasureStore(pool: pool), logger: setup.logger)
    let erasureOptions = RouteOptions(maxBodyBytes: ClientErasureEndpoint.maxBodyBytes)
    setup.route(.POST, InternalPaths.clientErasures, options: erasureOptions, token.guarding { request in try await erasure.erase(request) })
    setup.route(.GET, InternalPaths.clientErasures, token.guarding { request in try await erasure.receipt(request) })
    setup.route(.POST, InternalPaths.clientErasures + "/:clientId/steps", options: erasureOptions,
                token.guarding { request in try await erasure.mark(request) })
    let attachedDocuments = AttachedDocumentsEndpoint(store: store)
    setup.route(.POST, InternalPaths.attachedDocuments, options: RouteOptions(maxBodyBytes: AttachedDocumentsEndpoint.maxBodyBytes),
                token.guarding { request in try await attachedDocuments.respond(to: request) })
    let clientKeys = ClientKeysEndpoint(keys: keys)
    // On the loop, like creates: the projections wait for these keys before applying a batch.
    setup.route(.POST, InternalPaths.clientKeys,
                options: RouteOptions(maxBodyBytes: ClientKeysEndpoint.maxBodyBytes, runsOnEventLoop: true),
                token.guarding { request in try await clientKeys.respond(to: request) })
    let historySealing = HistorySealingEndpoint(keys: keys)
    setup.route(.POST, InternalPaths.encryptHistory, options: RouteOptions(maxBodyBytes: HistorySealingEndpoint.maxBodyBytes),
                token.guarding { request in try await historySealing.respond(to: request) })
    let history = ClientHistoryEndpoint(store: store)
    setup.route(.GET, InternalPaths.clientHistory + "/:clientId", token.guarding { request in try await history.respond(to: request) })
    let status = OutboxStatusEndpoint(store: store, topic: events.topic.name)
    setup.route(.GET, InternalPaths.status, token.guarding { _ in try await status.respond() })
    let republish = RepublishEndpoint(pool: pool, topic: events.topic.name, wake: wake, logger: setup.logger)
    setup.route(.POST, InternalPaths.republish, token.guarding { _ in try await republish.start() })
    setup.route(.GET, InternalPaths.republish, token.guarding { _ in try await republish.status() })
}
