import Infrastructure
import ServiceRuntime

// The search projection: keeps a clients read model in its own PostgreSQL database from the
// events topic, with its Kafka offsets in the same transactions, and answers list and search
// queries for the gateway.
//
// Variables: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS (and KAFKA_*), EVENTS_TOPIC,
// EVENTS_TOPIC_PARTITIONS, plus the common ones (see ServiceMain).
await ServiceMain.run(name: "search-projection", defaultPort: 8182) { setup in
    _ = try await setup.openPostgres(migrations: [])
    _ = try await setup.openEventsTopic()
    setup.notBuiltYet("/v1/clients", what: "Client queries (the search read model, issue 3)")
}
