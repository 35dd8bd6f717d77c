import Infrastructure
import Kafka
import ServiceRuntime

// The command service: validates commands, appends events to its PostgreSQL event store
// with an outbox, and relays them to the Kafka events topic.
//
// Variables: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS (and KAFKA_*), EVENTS_TOPIC,
// EVENTS_TOPIC_PARTITIONS, plus the common ones (see ServiceMain).
await ServiceMain.run(name: "command-service", defaultPort: 8181) { setup in
    _ = try await setup.openPostgres(migrations: CommandServiceMigrations.all)
    let events = try await setup.openEventsTopic()
    let producer = try KafkaProducer(configuration: events.configuration)
    setup.shutdownHooks.append { await producer.close(timeout: .seconds(10)) }
    setup.notBuiltYet("/v1/commands", what: "Command handling (the client core, issue 3)")
}
