import Infrastructure
import ServiceRuntime

// The CRM sync service: follows the events topic and mirrors client changes to the external
// CRM when CRM sync is enabled.
//
// Variables: KAFKA_BOOTSTRAP_SERVERS (and KAFKA_*), EVENTS_TOPIC, EVENTS_TOPIC_PARTITIONS,
// plus the common ones (see ServiceMain).
await ServiceMain.run(name: "crm-sync", defaultPort: 8185) { setup in
    _ = try await setup.openEventsTopic()
    setup.notBuiltYet("/v1/sync", what: "CRM synchronisation")
}
