import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// The care API's client documents (`/api/document`): upload, a client's list, download.
///
/// Authentication is the staff session (bearer token or cookie) and authorization the
/// `care.documents` permission (`CareCaller`), both from the request head, before any of the
/// body is read. The upload names its client inside the multipart body (`clientId`, the
/// client's public number, or `client_<number>`), so the file streams to the document store
/// first and the client is authorized once the body is complete; when that fails the upload is
/// deleted before the answer. A client of a company the caller does not reach is 404, exactly
/// like a missing one. Every answer about a client's documents (the list, a download, an
/// upload) leaves a record in the care access audit (sections `["documents"]`) before it
/// goes, and a client the caller's role does not reach is a 403 recorded as denied.
struct CareDocumentsAPI: Sendable {
    let authenticator: SessionAuthenticator
    let search: SearchClient
    let attachments: DocumentAttachments
    let readYourWrites: ReadYourWrites
    let audit: CareAuditTrail

    static let path = "/api/document"

    func register(on setup: ServiceSetup) {
        setup.route(.POST, Self.path + "/upload", options: DocumentAttachments.routeOptions, rendering(upload))
        setup.route(.GET, Self.path + "/client/:clientId", rendering(list))
        setup.route(.GET, Self.path + "/file/:documentId", rendering(download))
        setup.route(.DELETE, Self.path + "/file/:documentId", rendering(remove))
    }

    private func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        APIErrorRendering.wrap(handler, rendering: CareDocumentsView.error)
    }

    private func caller(_ request: HTTPRequest) async throws -> CareCaller {
        try CareCaller(try await authenticator.authenticate(request))
    }

    func upload(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let uploaded = try await attachments.upload(request, use: .care, field: "file", fields: ["clientId", "documentType"])
        let record: ClientRecord
        let documentType: CareDocumentType
        do {
            guard let type = uploaded.fields["documentType"].flatMap(CareDocumentType.init(rawValue:)) else {
                let names = CareDocumentType.allCases.map(\.rawValue).joined(separator: ", ")
                throw ClienteleError(.invalidArgument, "documentType must be one of \(names)", context: ["field": "documentType"])
            }
            documentType = type
            record = try await client(uploaded.fields["clientId"], caller, request)
        } catch {
            await attachments.discard(uploaded.document.id)
            throw error
        }
        let (outcome, attached) = try await attachments.attach(uploaded.document, documentType: documentType, to: record,
                                                               actor: caller.actor)
        try await audit.record(caller.staff, route: CareClientsAPI.route(request), clients: [record], sections: Self.sections,
                               outcome: .allowed)
        let response = CareDocumentsView.ok(CareDocumentsView.document(attached), status: .created,
                                            message: "Document uploaded successfully")
        return await readYourWrites.settle(response, id: record.id, outcome: outcome)
    }

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let record = try await client(request.pathParameters["clientId"], caller, request)
        let documents = record.documents.filter { $0.use == .care }.sorted { $0.uploadedAt > $1.uploadedAt }
        try await audit.record(caller.staff, route: CareClientsAPI.route(request), clients: [record], sections: Self.sections,
                               outcome: .allowed)
        return CareDocumentsView.ok(.array(documents.map(CareDocumentsView.document)))
    }

    /// The file, if the document is one of a client the caller reaches and still attached.
    func download(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let (id, record, document) = try await attached(request, caller)
        try await audit.record(caller.staff, route: CareClientsAPI.route(request), clients: [record], sections: Self.sections,
                               outcome: .allowed)
        let upstream = try await attachments.documents.content(id, range: request.headers["Range"],
                                                               ifNoneMatch: request.headers["If-None-Match"])
        return try await DocumentDownload.response(upstream, document: document, rendering: CareDocumentsView.error)
    }

    /// Detaches the document from its client (an event of the client's stream); the document
    /// store then deletes it, and its file goes once nothing names it.
    func remove(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let (id, record, _) = try await attached(request, caller)
        let outcome = try await attachments.commands.send(ClientCommandRequest(command: .removeDocument, clientId: record.id,
                                                                               tenantId: record.tenantId, actor: caller.actor,
                                                                               documentId: id))
        return await readYourWrites.settle(CareDocumentsView.ok(.null, message: "Document deleted successfully"),
                                           id: record.id, outcome: outcome)
    }

    /// The `:documentId` care document, its client and reference, when the client is one the
    /// caller reaches and the document is still attached to it; 404 otherwise.
    private func attached(_ request: HTTPRequest, _ caller: CareCaller) async throws -> (UUID, ClientRecord, DocumentReference) {
        guard let id = request.pathParameters["documentId"].flatMap(UUID.init(canonical:)),
              let stored = try await attachments.documents.document(id),
              let tenantId = stored.tenantId, let clientId = stored.clientId, stored.reference.use == .care,
              caller.staff.reaches(anyOf: [tenantId]),
              let record = try await search.client(clientId, tenantId: tenantId),
              let document = record.documents.first(where: { $0.id == id }) else { throw Self.documentNotFound }
        try await authorize(record, caller, request)
        return (id, record, document)
    }

    static let notFound = ClienteleError(.notFound, "Client not found")
    static let documentNotFound = ClienteleError(.notFound, "Document not found")

    /// The client `id` names (its number, or `client_<number>`; the number without sign or
    /// leading zeros) among those the caller reaches.
    private func client(_ id: String?, _ caller: CareCaller, _ request: HTTPRequest) async throws -> ClientRecord {
        guard let id, !id.isEmpty else {
            throw ClienteleError(.invalidArgument, "clientId is required", context: ["field": "clientId"])
        }
        guard let number = CareClientView.number(fromClientId: id) else { throw Self.notFound }
        if case .tenants(let ids) = caller.scope, ids.isEmpty { throw Self.notFound }
        guard let record = try await search.list(ClientListQuery(scope: caller.scope, limit: 1, number: number)).data.first else {
            throw Self.notFound
        }
        // The care roles reach only their related clients (`CareAccess`).
        try await authorize(record, caller, request)
        return record
    }

    /// The care access audit's sections of a document read.
    static let sections = ["documents"]

    /// Refuses a client the caller does not reach (`CareAccess`, appointments included) with
    /// 403, recorded in the access audit as a denied read.
    private func authorize(_ record: ClientRecord, _ caller: CareCaller, _ request: HTTPRequest) async throws {
        guard try await !CareAccess(caller.staff).reaches(record, search: search) else { return }
        try await audit.record(caller.staff, route: CareClientsAPI.route(request), clients: [record], sections: [], outcome: .denied)
        throw CareClientsAPI.unauthorized
    }
}
