import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import ServiceRuntime

/// The organization REST API, `/api/v1/clients`, for callers holding a company's API key.
///
/// Translates the document's shapes to the shared commands and queries: writes go to the
/// command service, reads to the search projection. Every route authenticates the bearer key
/// first; reads need `clients:read`, writes `clients:write`. A client of another company is
/// answered exactly like a missing one (404).
///
/// After a successful write the answer waits (`readYourWrites`, bounded) until the search
/// projection shows the written version, so an immediate get or list sees it. If it does not
/// in time, the write's 2xx is sent anyway with `X-Consistency: pending`.
struct OrganizationClientsAPI: Sendable {
    let authenticator: APIKeyAuthenticator
    let commands: CommandClient
    let search: SearchClient
    let readYourWrites: ReadYourWrites

    static let path = "/api/v1/clients"
    /// Largest accepted write body (a client's fields fit in far less).
    static let maxBodyBytes = 64 * 1024

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: Self.maxBodyBytes)
        // Get and create only await upstream calls and do little else: their tasks stay on
        // the event loop (no hand-off to the global pool and back).
        setup.route(.GET, Self.path, rendering(list))
        setup.route(.POST, Self.path, options: RouteOptions(maxBodyBytes: Self.maxBodyBytes, runsOnEventLoop: true),
                    rendering(create))
        setup.route(.GET, Self.path + "/:id", options: RouteOptions(runsOnEventLoop: true), rendering(get))
        setup.route(.PATCH, Self.path + "/:id", options: options, rendering(update))
        setup.route(.DELETE, Self.path + "/:id", options: options, rendering(delete))
    }

    /// `handler` with every error rendered in this API's envelope.
    private func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        APIErrorRendering.wrap(handler, rendering: OrganizationClientView.error)
    }

    // MARK: Reads

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let key = try await authenticator.authenticate(request, requiring: APIKeyPermission.clientsRead)
        let query = try OrganizationListParameters.query(from: request, tenantId: key.companyId)
        return OrganizationClientView.page(try await search.list(query))
    }

    func get(_ request: HTTPRequest) async throws -> HTTPResponse {
        let key = try await authenticator.authenticate(request, requiring: APIKeyPermission.clientsRead)
        let id = try Self.clientId(request)
        guard let record = try await search.client(id, tenantId: key.companyId) else { throw Self.notFound }
        return OrganizationClientView.single(record)
    }

    // MARK: Writes

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let key = try await authenticator.authenticate(request, requiring: APIKeyPermission.clientsWrite)
        let body = try await Self.jsonBody(request)
        let profile = try OrganizationClientInput.profile(from: body)
        let idempotency = try OrganizationWriteHeaders.idempotency(request, body: body, keyId: key.id)
        let outcome = try await commands.send(ClientCommandRequest(command: .create, clientId: UUID(), tenantId: key.companyId,
                                                                   profile: profile, actor: Self.actor(key),
                                                                   idempotency: idempotency))
        guard let record = outcome.client else { throw Self.missingClient }
        var response = OrganizationClientView.single(record, status: .created)
        response.headers.replaceOrAdd(name: "Location", value: "\(Self.path)/\(record.id.lowercasedString)")
        return await afterWrite(response, id: record.id, outcome: outcome)
    }

    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let key = try await authenticator.authenticate(request, requiring: APIKeyPermission.clientsWrite)
        let id = try Self.clientId(request)
        let body = try await Self.jsonBody(request)
        let changes = try OrganizationClientInput.changes(from: body)
        // Malformed input (400) before the precondition (412), as RFC 9110 §13.2.1 orders them.
        let idempotency = try OrganizationWriteHeaders.idempotency(request, body: body, keyId: key.id)
        let expectedVersion = try Self.expectedVersion(request)
        let outcome = try await commands.send(ClientCommandRequest(command: .update, clientId: id, tenantId: key.companyId,
                                                                   changes: changes, expectedVersion: expectedVersion,
                                                                   actor: Self.actor(key), idempotency: idempotency))
        guard let record = outcome.client else { throw Self.missingClient }
        return await afterWrite(OrganizationClientView.single(record), id: id, outcome: outcome)
    }

    func delete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let key = try await authenticator.authenticate(request, requiring: APIKeyPermission.clientsWrite)
        let id = try Self.clientId(request)
        let body = try await request.body.collect(upTo: Self.maxBodyBytes)
        let idempotency = try OrganizationWriteHeaders.idempotency(request, body: body, keyId: key.id)
        let expectedVersion = try Self.expectedVersion(request)
        let outcome = try await commands.send(ClientCommandRequest(command: .delete, clientId: id, tenantId: key.companyId,
                                                                   expectedVersion: expectedVersion, actor: Self.actor(key),
                                                                   idempotency: idempotency))
        return await afterWrite(.json(status: .ok, object: ["success": true]), id: id, outcome: outcome)
    }

    /// Waits for the search projection to show the write (`ReadYourWrites`).
    private func afterWrite(_ response: HTTPResponse, id: UUID, outcome: ClientCommandResponse) async -> HTTPResponse {
        await readYourWrites.settle(response, id: id, outcome: outcome)
    }

    // MARK: Request parts

    static let notFound = ClienteleError(.notFound, "Client not found")
    static let missingClient = ClienteleError(.internal, "Internal server error",
                                              internalDetail: "the command service returned no client after a write")

    /// The `:id` path parameter; an id that is not a UUID names no client (404).
    static func clientId(_ request: HTTPRequest) throws -> UUID {
        guard let raw = request.pathParameters["id"], raw.utf8.count == 36, let id = UUID(canonical: raw) else { throw notFound }
        return id
    }

    /// The version `If-Match` requires; 412 for a value no version matches.
    static func expectedVersion(_ request: HTTPRequest) throws -> Int64? {
        switch OrganizationWriteHeaders.precondition(request) {
        case .none: return nil
        case .version(let version): return version
        case .unsatisfiable: throw ClienteleError(.preconditionFailed, "If-Match does not match the client's current ETag")
        }
    }

    /// The body of a JSON write; 415 for another content type, 413 past the limit.
    static func jsonBody(_ request: HTTPRequest, maxBytes: Int = maxBodyBytes) async throws -> [UInt8] {
        let mediaType = request.headers["Content-Type"]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw HTTPError(status: .unsupportedMediaType, code: "unsupported_media_type",
                            message: "Content-Type must be application/json")
        }
        return try await request.body.collect(upTo: maxBytes)
    }

    static func actor(_ key: APIKey) -> Actor {
        Actor(kind: .apiKey, id: key.id.lowercasedString)
    }
}
