import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import ServiceRuntime

/// The workspace clients API, `/v1/workspace/:workspaceId/clients`, for staff sessions
/// (`Authorization: Bearer <jwt>` or the session cookie).
///
/// A workspace is a company (`WorkspaceCaller`); its clients are the same clients the other
/// APIs show (their email and phone come from the contact methods: `ClientProfile+Contacts`).
/// Permissions: `clients.create` (POST), `clients.read` (GET), `clients.update` (PATCH),
/// `clients.delete` (DELETE). Writes go to the command service and answer once the search
/// projection shows them (`readYourWrites`, bounded; past it `X-Consistency: pending`);
/// `Idempotency-Key` and `If-Match` work as on `/api/v1`. A client of another company is 404,
/// exactly like a missing one.
struct WorkspaceClientsAPI: Sendable {
    let authenticator: SessionAuthenticator
    let companies: KnownCompanies
    let catalog: CustomFieldCatalog
    let commands: CommandClient
    let search: SearchClient
    let readYourWrites: ReadYourWrites

    static let path = "/v1/workspace/:workspaceId/clients"
    /// Largest accepted write body: a client with its custom fields' 64 KiB of text, with room
    /// for JSON's escapes.
    static let maxBodyBytes = 256 * 1024

    func register(on setup: ServiceSetup) {
        let write = RouteOptions(maxBodyBytes: Self.maxBodyBytes)
        setup.route(.POST, Self.path, options: RouteOptions(maxBodyBytes: Self.maxBodyBytes, runsOnEventLoop: true), rendering(create))
        setup.route(.GET, Self.path, rendering(list))
        setup.route(.GET, Self.path + "/:clientId", options: RouteOptions(runsOnEventLoop: true), rendering(get))
        setup.route(.PATCH, Self.path + "/:clientId", options: write, rendering(update))
        setup.route(.DELETE, Self.path + "/:clientId", options: write, rendering(delete))
    }

    private func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        APIErrorRendering.wrap(handler, rendering: WorkspaceClientView.error)
    }

    private func caller(_ request: HTTPRequest, _ permission: String) async throws -> WorkspaceCaller {
        try await WorkspaceCaller.resolve(request, authenticator: authenticator, companies: companies, requiring: permission)
    }

    // MARK: Reads

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.clientsRead)
        let definitions = try await catalog.recent(caller.workspaceId)
        let query = try WorkspaceListParameters.query(from: request, workspaceId: caller.workspaceId, definitions: definitions)
        let page = try await search.page(query)
        return WorkspaceClientView.page(page.data, nextCursor: page.next.map { WorkspaceListParameters.cursor($0, sort: query) },
                                        definitions: definitions)
    }

    func get(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.clientsRead)
        let id = try Self.clientId(request)
        guard let record = try await search.client(id, tenantId: caller.workspaceId) else { throw Self.notFound }
        // Not `async let`: the definitions are nearly always remembered, and a child task per
        // read cost more than the rare lookup it would overlap.
        return WorkspaceClientView.single(record, definitions: try await catalog.recent(caller.workspaceId))
    }

    // MARK: Writes

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.clientsCreate)
        let body = try await OrganizationClientsAPI.jsonBody(request, maxBytes: Self.maxBodyBytes)
        let definitions = try await catalog.recent(caller.workspaceId)
        let profile = try WorkspaceClientInput.profile(from: body, definitions: definitions)
        let idempotency = try OrganizationWriteHeaders.idempotency(request, body: body, scope: Self.scope(caller))
        let outcome = try await Self.naming(profile.workspace?.contactMethods) {
            try await commands.send(ClientCommandRequest(command: .create, clientId: UUID(), tenantId: caller.workspaceId,
                                                         profile: profile, actor: caller.actor, idempotency: idempotency))
        }
        guard let record = outcome.client else { throw OrganizationClientsAPI.missingClient }
        var response = WorkspaceClientView.single(record, definitions: definitions, status: .created)
        response.headers.replaceOrAdd(name: "Location", value: Self.location(caller.workspaceId, record.id))
        return await readYourWrites.settle(response, id: record.id, outcome: outcome)
    }

    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.clientsUpdate)
        let id = try Self.clientId(request)
        let body = try await OrganizationClientsAPI.jsonBody(request, maxBytes: Self.maxBodyBytes)
        let definitions = try await catalog.recent(caller.workspaceId)
        let changes = try WorkspaceClientInput.changes(from: body, definitions: definitions)
        let idempotency = try OrganizationWriteHeaders.idempotency(request, body: body, scope: Self.scope(caller))
        let expectedVersion = try OrganizationClientsAPI.expectedVersion(request)
        let outcome = try await Self.naming(changes.workspace?.contactMethods) {
            try await commands.send(ClientCommandRequest(command: .update, clientId: id, tenantId: caller.workspaceId,
                                                         changes: changes, expectedVersion: expectedVersion, actor: caller.actor,
                                                         idempotency: idempotency))
        }
        guard let record = outcome.client else { throw OrganizationClientsAPI.missingClient }
        return await readYourWrites.settle(WorkspaceClientView.single(record, definitions: definitions), id: id, outcome: outcome)
    }

    func delete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request, Permission.clientsDelete)
        let id = try Self.clientId(request)
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        let idempotency = try OrganizationWriteHeaders.idempotency(request, body: body, scope: Self.scope(caller))
        let expectedVersion = try OrganizationClientsAPI.expectedVersion(request)
        let outcome = try await commands.send(ClientCommandRequest(command: .delete, clientId: id, tenantId: caller.workspaceId,
                                                                   expectedVersion: expectedVersion, actor: caller.actor,
                                                                   idempotency: idempotency))
        return await readYourWrites.settle(HTTPResponse(status: .noContent), id: id, outcome: outcome)
    }

    // MARK: Parts

    static let notFound = ClienteleError(.notFound, "Client not found")

    /// The `:clientId` path parameter; an id that is not a UUID names no client (404).
    static func clientId(_ request: HTTPRequest) throws -> UUID {
        guard let raw = request.pathParameters["clientId"], raw.utf8.count == 36, let id = UUID(canonical: raw) else {
            throw notFound
        }
        return id
    }

    static func location(_ workspaceId: UUID, _ clientId: UUID) -> String {
        "/v1/workspace/\(workspaceId.lowercasedString)/clients/\(clientId.lowercasedString)"
    }

    /// The idempotency scope of a staff user: its keys never meet an API key's or another user's.
    static func scope(_ caller: WorkspaceCaller) -> String { "user:\(caller.staff.user.id.lowercasedString)" }

    /// Runs `write`; a conflict over the client's email (another client of the workspace has
    /// it) names the contact method the email comes from.
    static func naming<T>(_ methods: [ContactMethod]?, _ write: () async throws -> T) async throws -> T {
        do {
            return try await write()
        } catch let error as any ClienteleErrorConvertible {
            var clientele = error.clienteleError
            guard clientele.code == .conflict, clientele.context["field"] == "email" else { throw error }
            clientele.context["field"] = methods?.sourceIndex(of: .email).map { "contactMethods[\($0)].value" } ?? "contactMethods"
            throw clientele
        }
    }
}
