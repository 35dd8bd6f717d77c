import Foundation
import InternalAPI
import ServiceRuntime

/// Removes what nothing references any more, every `interval`: uploads never claimed within
/// `grace` (their gateway gave up or died); uploads claimed more than `grace` ago that the
/// event store does not hold attached (the gateway's attach command failed, or the gateway
/// died between its claim and its command: `attachments` asks the command service, and a
/// claim it confirms is never asked about again); then objects no row names that were not
/// written or refreshed within `grace` (a detached document's file, or one a crash left
/// between rename and metadata commit).
///
/// A claim is judged only once it is older than `grace`, so an attach command still in
/// flight is never mistaken for a failed one while `grace` exceeds the gateway's command
/// timeout (15 s; the default grace is an hour). When the command service cannot answer, no
/// claimed upload is removed in that round.
///
/// Logs counts only: file names and document names are personal data.
struct DocumentSweep: Service {
    let name = "document-sweep"
    let store: ContentStore
    let metadata: DocumentMetadata
    let attachments: AttachmentCheck
    let grace: Duration
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            do {
                let removed = try await sweep()
                if removed.uploads + removed.unattached + removed.files > 0 {
                    logger.info("document sweep removed unreferenced data",
                                ["uploads": String(removed.uploads), "unattached": String(removed.unattached),
                                 "files": String(removed.files)])
                }
            } catch {
                logger.warning("document sweep failed", ["error": String(describing: error)])
            }
            await GracefulShutdown.sleep(for: interval)
        }
    }

    /// How many claimed uploads one round asks the command service about, at most.
    static let claimsPerRound = AttachedDocumentsQuery.maxDocuments

    /// One round; how many unclaimed uploads, claimed but unattached uploads and files it
    /// removed.
    func sweep() async throws -> (uploads: Int, unattached: Int, files: Int) {
        let uploads = try await metadata.deleteUnclaimed(olderThan: grace)
        var unattached = 0
        do {
            unattached = try await removeUnattached()
        } catch {
            logger.warning("document sweep could not check claimed uploads; kept for the next round",
                           ["error": String(describing: error)])
        }
        // Read the references first: an object written after this read is newer than the
        // cutoff or held, so it is spared either way.
        let referenced = try await metadata.referencedDigests()
        let cutoff = Date().addingTimeInterval(-Double(grace.components.seconds))
        let store = self.store
        let files = try await FileIO.offload {
            var removed = 0
            for object in store.objectFiles() where !referenced.contains(object.sha256) {
                if try store.removeUnreferenced(object.sha256, unchangedSince: cutoff) { removed += 1 }
            }
            return removed
        }
        return (uploads, unattached, files)
    }

    /// Confirms the claims older than `grace` that the event store holds attached and deletes
    /// the others' rows (their files go with the unreferenced ones); how many it deleted.
    func removeUnattached() async throws -> Int {
        let claims = try await metadata.unconfirmedClaims(olderThan: grace, limit: Self.claimsPerRound)
        guard !claims.isEmpty else { return 0 }
        let attached = try await attachments.attached(claims)
        let ids = claims.map(\.documentId)
        try await metadata.confirmAttached(ids.filter(attached.contains))
        return try await metadata.deleteUnattached(ids.filter { !attached.contains($0) })
    }
}
