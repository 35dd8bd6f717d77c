import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// Asks the command service which claimed documents their clients' streams hold attached
/// (`InternalPaths.attachedDocuments`): the event store is the only place that knows whether
/// the gateway's attach command ran after its claim.
struct AttachmentCheck: Sendable {
    let baseURL: String
    let token: InternalToken
    let http: HTTPClient

    /// The documents of `entries` attached now; throws when the command service cannot say
    /// (the sweep then keeps them all for a later round).
    func attached(_ entries: [AttachedDocumentsQuery.Entry]) async throws -> Set<UUID> {
        let response = try await http.internalPOST(baseURL + InternalPaths.attachedDocuments, token: token,
                                                    json: AttachedDocumentsQuery(documents: entries).json.serialized())
        guard response.status.code == 200 else {
            throw ClienteleError(.unavailable, "The command service cannot say which documents are attached",
                                 internalDetail: "command-service answered \(response.status.code)")
        }
        do {
            return Set(try AttachedDocumentsAnswer(json: JSONParser.parse(response.body)).attached)
        } catch {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable command-service answer: \(error)")
        }
    }
}
