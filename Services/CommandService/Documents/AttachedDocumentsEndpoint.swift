import ClientDomain
import Errors
import EventStore
import Foundation
import HTTP
import InternalAPI

/// `POST` `InternalPaths.attachedDocuments`: which of the named documents their client's
/// stream holds attached now, read from the event store itself (each client's stream
/// replayed), not from a read model that may lag. The document store's sweep asks it before
/// it removes a document that was claimed but never confirmed attached.
struct AttachedDocumentsEndpoint: Sendable {
    let store: PostgresEventStore

    static let maxBodyBytes = 128 * 1024

    func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        let query = try await request.decodeJSON(maxBytes: Self.maxBodyBytes) { value throws(JSONFieldError) in
            try AttachedDocumentsQuery(json: value)
        }
        guard query.documents.count <= AttachedDocumentsQuery.maxDocuments else {
            throw ClienteleError(.invalidArgument, "At most \(AttachedDocumentsQuery.maxDocuments) documents per question",
                                 context: ["field": "documents"])
        }
        return .json(status: .ok, object: try await attached(query).json)
    }

    func attached(_ query: AttachedDocumentsQuery) async throws -> AttachedDocumentsAnswer {
        var attached: [UUID] = []
        for (clientId, entries) in Dictionary(grouping: query.documents, by: \.clientId) {
            let events: [EventEnvelope]
            do {
                events = try await store.load(streamId: clientId)
            } catch is PostgresEventStore.StreamErased {
                continue // An erased client holds no document.
            }
            let client = try Client.replay(events)
            let held = Set(client?.documents.map(\.id) ?? [])
            attached += entries.map(\.documentId).filter(held.contains)
        }
        return AttachedDocumentsAnswer(attached: attached)
    }
}
