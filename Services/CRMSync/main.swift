import CRM
import Crypto
import Foundation
import HTTP
import Infrastructure
import Projection
import ServiceRuntime
import TLS

// The CRM sync service: follows the events topic into its own database (its offsets stored
// in the transactions that apply the events, under the projection name `crm-sync`), and
// mirrors the clients of every company with CRM sync enabled to that company's CRM
// (HubSpot's contacts contract). docs/api/crm-sync.md holds the rules.
//
// Variables: COMMAND_SERVICE_URL (where the clients' data keys come from), INTERNAL_TOKEN (required of callers in
// X-Internal-Token), DATABASE_URL,
// KAFKA_BOOTSTRAP_SERVERS (and KAFKA_*), EVENTS_TOPIC, EVENTS_TOPIC_PARTITIONS,
// CRM_SECRET_KEY (base64 of 32 bytes; unset: no company can be configured), CRM_ALLOW_INSECURE,
// CRM_ALLOW_PRIVATE_ADDRESSES, CRM_REQUEST_TIMEOUT_MS, CRM_MAX_ATTEMPTS,
// CRM_MAX_CONCURRENT_CALLS, CRM_TLS_CA_FILE, COMMAND_SERVICE_URL (where acknowledged
// gdpr-deletes are reported to the erasure receipts), plus the common ones (see ServiceMain).
await ServiceMain.run(name: "crm-sync", defaultPort: 8185) { setup in
    let token = try setup.requireInternalToken()
    // Every variable is read before anything is logged: a bad one is the only line written.
    _ = try setup.eventsTopic()
    let commandService = try setup.environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")
    let allowsInsecure = try setup.environment.bool("CRM_ALLOW_INSECURE", default: false)
    let addressPolicy = CRMAddressPolicy(allowsPrivateAddresses: try setup.environment.bool("CRM_ALLOW_PRIVATE_ADDRESSES", default: false))
    var cipher: AESGCM?
    if let key = setup.environment.values["CRM_SECRET_KEY"], !key.isEmpty {
        guard let bytes = Data(base64Encoded: key), let opened = AESGCM(key: Array(bytes)) else {
            throw ConfigurationError(variable: "CRM_SECRET_KEY", problem: "expected the base64 of 32 random bytes")
        }
        cipher = opened
    }
    var sending = CRMSyncSender.Configuration()
    sending.requestTimeout = try setup.environment.milliseconds("CRM_REQUEST_TIMEOUT_MS", default: .seconds(10), in: 100...600_000)
    sending.maxConcurrentCalls = try setup.environment.int("CRM_MAX_CONCURRENT_CALLS", default: 16, in: 1...1024)
    sending.policy.maxAttempts = try setup.environment.int("CRM_MAX_ATTEMPTS", default: 8, in: 1...100)
    sending.addressPolicy = addressPolicy
    let authorities = setup.environment.values["CRM_TLS_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
    do {
        sending.tls = try TLSContext(clientTrusting: authorities)
    } catch {
        throw ConfigurationError(variable: "CRM_TLS_CA_FILE", problem: "the certificate authorities cannot be read (PEM expected)")
    }

    let pool = try await setup.openPostgres(migrations: CRMSyncSchema.migrations)
    let events = try await setup.openEventsTopic()
    if cipher == nil { setup.logger.warning("CRM_SECRET_KEY is not set: no company's CRM sync can be configured") }
    let companies = CRMCompanyStore(pool: pool, cipher: cipher, allowsInsecure: allowsInsecure)
    let erasures = CRMErasureReceipts(pool: pool, commandService: commandService, token: token,
                                      http: HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(10))),
                                      logger: setup.logger)
    let sender = CRMSyncSender(configuration: sending, pool: pool, companies: companies, logger: setup.logger, metrics: setup.metrics,
                               erasures: erasures)
    let runner = ProjectionRunner(configuration: ProjectionRunner.Configuration(projection: "crm-sync", target: .live,
                                                                                topic: events.topic.name,
                                                                                partitionCount: events.topic.partitions),
                                  pool: pool, kafka: events.configuration, model: CRMContactsReadModel(),
                                  keys: try setup.clientKeys(token: token), logger: setup.logger,
                                  metrics: setup.metrics, committed: { outcome in
                                      if outcome.appliedCount > 0 { sender.requestLoad(clients: outcome.applied.map(\.streamId)) }
                                  })
    setup.services += [runner, sender]
    setup.readiness.add("consumer") {
        guard runner.isRunning() else { throw CRMSyncNotConsuming() }
    }
    CRMSyncRoutes(token: token, pool: pool, companies: companies, sender: sender, addressPolicy: addressPolicy).register(on: setup)
}

/// The consumer has not polled successfully lately.
struct CRMSyncNotConsuming: Error, CustomStringConvertible {
    var description: String { "the crm-sync consumer has not polled successfully in the last 30 s" }
}
