import ClientDomain
import Errors
import EventStore
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `InternalPaths.clientErasures` and `clientErasureSteps`: erases a client and keeps its
/// receipt (`ClientErasureStore`).
///
/// An erasure appends `client.erased` through the `ClientCommandHandler` (the decider allows it
/// once on any existing client, a deleted one included) and records the receipt alongside, in
/// the append's transaction: the event and its receipt commit together or not at all. Asking
/// again for an erased client answers the receipt as it stands, so the caller resumes the
/// steps still pending. A client of a tenant outside the request's is not found, like a
/// missing one.
struct ClientErasureEndpoint: Sendable {
    let handler: ClientCommandHandler
    let erasures: ClientErasureStore
    let logger: Logger

    static let maxBodyBytes = 64 * 1024
    static let notFound = ClienteleError(.notFound, "Client not found")

    func erase(_ request: HTTPRequest) async throws -> HTTPResponse {
        let asked = try await request.decodeJSON(ClientErasureRequest.self, maxBytes: Self.maxBodyBytes, decoder: InternalJSON.decoder())
        return try Self.json(try await erase(asked))
    }

    /// Erases `asked.clientId` (or answers its receipt when erased already).
    func erase(_ asked: ClientErasureRequest) async throws -> ClientErasure {
        let inScope = { (tenant: UUID) in asked.tenantIds.map { $0.contains(tenant) } ?? true }
        if let earlier = try await erasures.erasure(clientId: asked.clientId) {
            guard inScope(earlier.tenantId) else { throw Self.notFound }
            return earlier
        }
        guard let client = try Client.replay(try await handler.store.load(streamId: asked.clientId)), inScope(client.tenantId) else {
            throw Self.notFound
        }
        let metadata = CommandMetadata(actor: asked.actor,
                                       correlationId: LogContext.correlationId ?? LogContext.requestId ?? UUID().uuidString,
                                       causationId: LogContext.requestId, traceparent: LogContext.trace?.traceparent)
        let time = Date()
        let receipt = ClientErasure(clientId: client.id, tenantId: client.tenantId, number: client.number, erasedAt: time,
                                    erasedVersion: client.version + 1, by: asked.actor,
                                    steps: ClientErasureStore.initialSteps(at: time, keyShredded: handler.store.keys != nil))
        do {
            let outcome = try await handler.handle(.erase(EraseClient(clientId: client.id, tenantId: client.tenantId)),
                                                   metadata: metadata) { erased in
                // The key's shred commits with `client.erased` and the receipt, or none of them does.
                var recorded = receipt
                recorded.erasedVersion = erased.version
                let shred = handler.store.keys.map { [$0.shred(streamId: erased.id)] } ?? []
                return AppendBatcher.Alongside(statements: shred + [try ClientErasureStore.record(recorded)])
            }
            logger.info("client erased", ["client_id": client.id.lowercasedString,
                                          "version": String(outcome.client?.version ?? receipt.erasedVersion)])
        } catch let error as ClienteleError where error.code == .notFound {
            // Erased meanwhile by a concurrent request: its receipt is the answer.
            guard let earlier = try await erasures.erasure(clientId: asked.clientId), inScope(earlier.tenantId) else { throw error }
            return earlier
        }
        guard let recorded = try await erasures.erasure(clientId: client.id) else {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "erasure receipt missing after its append")
        }
        return recorded
    }

    func receipt(_ request: HTTPRequest) async throws -> HTTPResponse {
        let tenants = try Self.tenantIds(request)
        let found: ClientErasure?
        if let text = request.queryParameter("clientId") {
            guard let id = UUID(canonical: text) else {
                throw ClienteleError(.invalidArgument, "clientId must be a UUID", context: ["field": "clientId"])
            }
            found = try await erasures.erasure(clientId: id)
        } else if let text = request.queryParameter("number") {
            guard let number = Int64(text), number > 0 else {
                throw ClienteleError(.invalidArgument, "number must be a positive integer", context: ["field": "number"])
            }
            found = try await erasures.erasure(number: number)
        } else {
            throw ClienteleError(.invalidArgument, "clientId or number is required", context: ["field": "clientId"])
        }
        guard let found, tenants.map({ $0.contains(found.tenantId) }) ?? true else { throw Self.notFound }
        return try Self.json(found)
    }

    func mark(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let id = request.pathParameters["clientId"].flatMap(UUID.init(canonical:)) else { throw Self.notFound }
        let update = try await request.decodeJSON(ClientErasureStepUpdate.self, maxBytes: Self.maxBodyBytes,
                                                  decoder: InternalJSON.decoder())
        guard update.state != .pending else {
            throw ClienteleError(.invalidArgument, "state must be done or not_applicable", context: ["field": "state"])
        }
        guard let erasure = try await erasures.mark(update.step, update.state, clientId: id) else { throw Self.notFound }
        return try Self.json(erasure)
    }

    /// `tenantId` (comma-separated UUIDs); nil when absent (any tenant).
    static func tenantIds(_ request: HTTPRequest) throws -> Set<UUID>? {
        guard let text = request.queryParameter("tenantId") else { return nil }
        var ids: Set<UUID> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let id = UUID(canonical: String(part)) else {
                throw ClienteleError(.invalidArgument, "tenantId must be comma-separated UUIDs", context: ["field": "tenantId"])
            }
            ids.insert(id)
        }
        return ids
    }

    static func json<T: Encodable>(_ value: T) throws -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(try InternalJSON.encoder().encode(value)))
    }
}
