import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// The path every document upload takes through the gateway, whichever API receives it:
/// stream the body to the document store, claim the stored upload for the client the caller
/// may act on, attach it with a command (an event of the client's stream), and on any failure
/// after the upload delete it again, so a refused upload leaves nothing.
///
/// An API authenticates and authorizes from the request head before `upload` (the leads API
/// also resolves its client from the path); the care API learns its client from the body, so
/// it authorizes the client after the upload and calls `discard` when that fails.
struct DocumentAttachments: Sendable {
    let documents: DocumentClient
    let commands: CommandClient
    let logger: Logger?

    /// The largest body the gateway forwards: above every configurable cap, which the
    /// document store applies while the body streams.
    static let maxForwardedBodyBytes = 1 << 30

    static var routeOptions: RouteOptions { RouteOptions(maxBodyBytes: maxForwardedBodyBytes, streamsBody: true) }

    func upload(_ request: HTTPRequest, use: DocumentUse, field: String, fields: [String] = []) async throws -> DocumentUploadResult {
        try await documents.upload(request, use: use, field: field, fields: fields)
    }

    /// Claims `uploaded` for `client` and attaches it; the command's answer. Deletes the
    /// upload when either step fails.
    func attach(_ uploaded: DocumentReference, documentType: CareDocumentType? = nil, to client: ClientRecord,
                actor: Actor) async throws -> (ClientCommandResponse, DocumentReference) {
        do {
            guard let claimed = try await documents.claim(uploaded.id, tenantId: client.tenantId, clientId: client.id,
                                                          documentType: documentType) else {
                throw ClienteleError(.conflict, "The upload is gone; send it again")
            }
            let outcome = try await commands.send(ClientCommandRequest(command: .attachDocument, clientId: client.id,
                                                                       tenantId: client.tenantId, actor: actor,
                                                                       document: claimed.reference))
            return (outcome, claimed.reference)
        } catch {
            await discard(uploaded.id)
            throw error
        }
    }

    /// Deletes an upload that will not be attached (its file goes with the next sweep).
    func discard(_ id: UUID) async {
        do {
            try await documents.delete(id)
        } catch {
            logger?.warning("deleting a refused upload failed; the sweep removes it when unclaimed",
                            ["document_id": id.lowercasedString, "error": String(describing: error)])
        }
    }
}
