import Infrastructure
import ServiceRuntime

// The stats projection: keeps counters for the admin statistics and dashboard in its own
// PostgreSQL database from the events topic, and answers stats queries for the gateway.
//
// Variables: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS (and KAFKA_*), EVENTS_TOPIC,
// EVENTS_TOPIC_PARTITIONS, plus the common ones (see ServiceMain).
await ServiceMain.run(name: "stats-projection", defaultPort: 8183) { setup in
    _ = try await setup.openPostgres(migrations: [])
    _ = try await setup.openEventsTopic()
    setup.notBuiltYet("/v1/stats", what: "Client statistics (the stats read model, issue 5)")
}
