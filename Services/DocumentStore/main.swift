import Foundation
import HTTP
import Infrastructure
import ServiceRuntime

// The document store: owns the file bytes of passports and care documents, content-addressed
// on a volume (`ContentStore`), with their metadata in its own PostgreSQL database
// (`DocumentMetadata`). Uploads stream through it to disk (`DocumentUpload`); the gateway
// calls its internal routes (`DocumentRoutes`) after authorizing its caller.
//
// Variables: INTERNAL_TOKEN (required of callers in X-Internal-Token), DATABASE_URL,
// DOCUMENT_DIRECTORY (where files are kept; created if missing), DOCUMENT_PASSPORT_MAX_BYTES
// (10 MiB), DOCUMENT_CARE_MAX_BYTES (25 MiB), DOCUMENT_UPLOADS_IN_FLIGHT (64),
// DOCUMENT_SWEEP_GRACE_SECONDS (3600: how long an unclaimed upload or an unreferenced file is
// kept), DOCUMENT_SWEEP_INTERVAL_SECONDS (600), DOCUMENT_FAULT_PAUSE_AFTER_RENAME_MS (0; fault
// tests only: hold each upload between its rename and its metadata commit),
// COMMAND_SERVICE_URL (the sweep asks it which claimed uploads are attached), plus the common
// ones (see ServiceMain).
await ServiceMain.run(name: "document-store", defaultPort: 8184) { setup in
    let token = try setup.requireInternalToken()
    let limits = UploadLimits(
        passportMaxBytes: try setup.environment.int("DOCUMENT_PASSPORT_MAX_BYTES", default: 10_485_760, in: 1...1_000_000_000),
        careMaxBytes: try setup.environment.int("DOCUMENT_CARE_MAX_BYTES", default: 26_214_400, in: 1...1_000_000_000),
        uploadsInFlight: try setup.environment.int("DOCUMENT_UPLOADS_IN_FLIGHT", default: 64, in: 1...10_000))
    let grace = try setup.environment.int("DOCUMENT_SWEEP_GRACE_SECONDS", default: 3600, in: 1...(90 * 86_400))
    let interval = try setup.environment.int("DOCUMENT_SWEEP_INTERVAL_SECONDS", default: 600, in: 1...86_400)
    let directory = setup.environment.string("DOCUMENT_DIRECTORY", default: "./documents")
    let commandService = try setup.environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")
    let pauseAfterRename = try setup.environment.milliseconds("DOCUMENT_FAULT_PAUSE_AFTER_RENAME_MS", default: .zero, in: 0...600_000)
    let store: ContentStore
    do {
        store = try ContentStore(root: directory)
    } catch {
        throw ConfigurationError(variable: "DOCUMENT_DIRECTORY", problem: "cannot be created or written")
    }
    let pool = try await setup.openPostgres(migrations: DocumentMetadata.migrations)
    let metadata = DocumentMetadata(pool: pool)
    setup.readiness.add("document-directory") {
        do {
            try store.checkWritable()
        } catch {
            throw ConfigurationError(variable: "DOCUMENT_DIRECTORY", problem: "is not writable")
        }
    }
    let commandClient = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(30), maxIdlePerHost: 2))
    setup.shutdownHooks.append { commandClient.shutdown() }
    let sweep = DocumentSweep(store: store, metadata: metadata,
                              attachments: AttachmentCheck(baseURL: commandService, token: token, http: commandClient),
                              grace: .seconds(grace), interval: .seconds(interval), logger: setup.logger)
    setup.services.append(sweep)
    DocumentRoutes(upload: DocumentUpload(store: store, metadata: metadata, limits: limits,
                                          phaseSeconds: DocumentUpload.phaseHistogram(on: setup.metrics),
                                          pauseAfterRename: pauseAfterRename), metadata: metadata, store: store,
                   sweep: sweep, verification: DocumentVerification(store: store, metadata: metadata), token: token)
        .register(on: setup)
}
