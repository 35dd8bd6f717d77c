import ClientDomain
import Errors
import EventStore
import Foundation
import HTTP
import InternalAPI

/// `GET` `InternalPaths.clientHistory(id)?tenantId=T&after=V`: the client's history for its
/// own-data export, read from the event store itself through the path every command reads a
/// stream by (`PostgresEventStore.load`, each event decoded by `ClientEvent.decode`), so what
/// changes that path (sealed event data) changes this answer with it.
///
/// Answers a `ClientHistoryPage` of the events after version `V` (0 when left out), bounded by
/// `ClientHistoryPage.maxEvents` and `maxDataBytes`; 404 when tenant `T` holds no stream `id`
/// (a deleted client's stream is still there: the caller decides whether to show it).
struct ClientHistoryEndpoint: Sendable {
    let store: PostgresEventStore

    static let notFound = ClienteleError(.notFound, "Client not found")

    func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        guard let raw = request.pathParameters["clientId"], let clientId = UUID(canonical: raw) else { throw Self.notFound }
        guard let tenantText = request.queryParameter("tenantId"), let tenantId = UUID(canonical: tenantText) else {
            throw ClienteleError(.invalidArgument, "tenantId must be a UUID", context: ["field": "tenantId"])
        }
        var after: Int64 = 0
        if let text = request.queryParameter("after") {
            guard let value = Int64(text), value >= 0 else {
                throw ClienteleError(.invalidArgument, "after must be a stream version", context: ["field": "after"])
            }
            after = value
        }
        return .json(status: .ok, object: try await page(of: clientId, tenantId: tenantId, after: after).json)
    }

    func page(of clientId: UUID, tenantId: UUID, after: Int64) async throws -> ClientHistoryPage {
        let envelopes = try await store.load(streamId: clientId)
        guard let first = envelopes.first, first.tenantId == tenantId else { throw Self.notFound }
        return try ClientHistoryPage.page(of: envelopes, after: after) { try ClientEvent.decode($0).json }
    }
}
