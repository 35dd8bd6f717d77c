import Foundation
import ServiceRuntime

/// Removes what nothing references any more, every `interval`: uploads never claimed within
/// `grace` (their gateway gave up or died), then objects no row names that were not written
/// or refreshed within `grace` (a detached document's file, or one a crash left between
/// rename and metadata commit).
///
/// Logs counts only: file names and document names are personal data.
struct DocumentSweep: Service {
    let name = "document-sweep"
    let store: ContentStore
    let metadata: DocumentMetadata
    let grace: Duration
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            do {
                let removed = try await sweep()
                if removed.uploads + removed.files > 0 {
                    logger.info("document sweep removed unreferenced data",
                                ["uploads": String(removed.uploads), "files": String(removed.files)])
                }
            } catch {
                logger.warning("document sweep failed", ["error": String(describing: error)])
            }
            await GracefulShutdown.sleep(for: interval)
        }
    }

    /// One round; how many unclaimed uploads and files it removed.
    func sweep() async throws -> (uploads: Int, files: Int) {
        let uploads = try await metadata.deleteUnclaimed(olderThan: grace)
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
        return (uploads, files)
    }
}
