import Foundation
import Infrastructure
import ServiceRuntime

// The document store: keeps uploaded files (passports, care documents) on disk with their
// metadata in PostgreSQL, streaming uploads so no file is held whole in memory.
//
// Variables: DATABASE_URL, DOCUMENT_DIRECTORY (where files are kept; created if missing),
// plus the common ones (see ServiceMain).
await ServiceMain.run(name: "document-store", defaultPort: 8184) { setup in
    _ = try await setup.openPostgres(migrations: [])
    let directory = setup.environment.string("DOCUMENT_DIRECTORY", default: "./documents")
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw ConfigurationError(variable: "DOCUMENT_DIRECTORY", problem: "cannot create \(directory)")
    }
    setup.readiness.add("document-directory") {
        guard FileManager.default.isWritableFile(atPath: directory) else {
            throw ConfigurationError(variable: "DOCUMENT_DIRECTORY", problem: "is not writable")
        }
    }
    setup.notBuiltYet("/v1/documents", what: "Document storage (with the leads and care APIs)")
}
