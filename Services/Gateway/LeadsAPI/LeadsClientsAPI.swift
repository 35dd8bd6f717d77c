import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import ServiceRuntime

/// The leads API, `/api/clients`, for logged-in staff (session cookie or bearer token).
///
/// Its authorization matrix is data: `leads.read` (admin, sales, finance, super-admin) lists
/// and reads, `leads.read_assigned` (agent) reads only leads assigned to the caller,
/// `leads.write` (admin, sales, finance, super-admin) creates, changes, disables and sets
/// portal passwords. Company scoping is `LeadsCaller`'s. A lead of a company the caller
/// does not belong to is 404, exactly like a missing one.
///
/// Ids are the clients' public numbers, so a client created through another API is the same
/// lead here. Lists are newest first; with `page` they hold 10 leads, without it the whole
/// list up to `maxUnpagedList` (beyond that, page). Writes wait for the search projection
/// like every write (`ReadYourWrites`).
struct LeadsClientsAPI: Sendable {
    let authenticator: SessionAuthenticator
    let identity: IdentityStore
    let commands: CommandClient
    let search: SearchClient
    let readYourWrites: ReadYourWrites
    let attachments: DocumentAttachments

    static let path = "/api/clients"
    static let pageSize = 10
    /// The most leads one unpaged list returns.
    static let maxUnpagedList = 1000
    static let maxBodyBytes = 64 * 1024
    static let queryLimit = TextLimit(characters: 200)
    static let maxPage = 100_000

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: Self.maxBodyBytes)
        setup.route(.GET, Self.path, rendering(list))
        setup.route(.POST, Self.path, options: options, rendering(create))
        setup.route(.GET, Self.path + "/userClients/:agentId", rendering(agentClients))
        setup.route(.POST, Self.path + "/passport/:leadId", options: DocumentAttachments.routeOptions, rendering(uploadPassport))
        setup.route(.GET, Self.path + "/passport/:leadId", rendering(downloadPassport))
        setup.route(.GET, Self.path + "/:leadId", rendering(get))
        setup.route(.PUT, Self.path + "/:leadId", options: options, rendering(update))
        setup.route(.DELETE, Self.path + "/:leadId", rendering(disable))
        setup.route(.POST, Self.path + "/:leadId/change-password", options: options, rendering(changePassword))
    }

    /// `handler` with every error rendered in this API's envelope.
    private func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        APIErrorRendering.wrap(handler, rendering: LeadsClientView.error)
    }

    private func caller(_ request: HTTPRequest) async throws -> LeadsCaller {
        LeadsCaller(staff: try await authenticator.authenticate(request))
    }

    // MARK: Reads

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.require(Permission.leadsRead)
        var query = ClientListQuery(scope: try await caller.listScope(companyParameter: request.queryParameter("company"),
                                                                      identity: identity),
                                    sortBy: .createdAt, sortOrder: .desc)
        if let text = request.queryParameter("query"), !text.isEmpty {
            if let problem = Self.queryLimit.problem(text) {
                throw ClienteleError(.invalidArgument, "query \(problem)", context: ["field": "query"])
            }
            query.text = text
        }
        switch request.queryParameter("category") {
        case nil: break
        case "active"?: query.statuses = [.active]
        case "not_active"?: query.statuses = ClientStatus.allCases.filter { $0 != .active }
        default:
            throw ClienteleError(.invalidArgument, "category must be active or not_active", context: ["field": "category"])
        }
        return try await page("leads", query, request: request)
    }

    func agentClients(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.require(Permission.leadsRead)
        guard let raw = request.pathParameters["agentId"], let agent = Int64(raw), agent > 0 else {
            throw ClienteleError(.invalidArgument, "Invalid user ID", context: ["field": "agentId"])
        }
        let query = ClientListQuery(scope: caller.readScope, sortBy: .createdAt, sortOrder: .desc, agent: agent)
        return try await page("clients", query, request: request)
    }

    func get(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.requireRead()
        let record = try await lead(request, caller: caller)
        try caller.requireRead(record)
        return .json(status: .ok, object: ["leads": LeadsClientView.client(record, try await context(for: [record]))])
    }

    // MARK: Writes

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.require(Permission.leadsWrite)
        var creation = try LeadsClientInput.creation(from: try await OrganizationClientsAPI.jsonBody(request))
        let company = try await caller.company(number: creation.companyNumber, identity: identity)
        if let agents = creation.profile.agents {
            creation.profile.agents = try await LeadsAgents.resolve(agents, companyId: company.id, identity: identity)
        }
        let outcome = try await commands.send(ClientCommandRequest(command: .create, clientId: UUID(), tenantId: company.id,
                                                                   profile: creation.profile, actor: caller.actor))
        guard let record = outcome.client else { throw OrganizationClientsAPI.missingClient }
        var response = LeadsClientView.message("LeadClient created successfully", status: .created)
        if let number = record.number { response.headers.replaceOrAdd(name: "Location", value: "\(Self.path)/\(number)") }
        return await readYourWrites.settle(response, id: record.id, outcome: outcome)
    }

    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.require(Permission.leadsWrite)
        let record = try await lead(request, caller: caller)
        var changes = try LeadsClientInput.changes(from: try await OrganizationClientsAPI.jsonBody(request))
        if case .set(let agents) = changes.agents {
            changes.agents = .set(try await LeadsAgents.resolve(agents, companyId: record.tenantId, identity: identity))
        }
        return try await send(.update, record, caller: caller, changes: changes, message: "LeadClient updated successfully")
    }

    /// DELETE soft-disables: the lead stays, inactive.
    func disable(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.require(Permission.leadsWrite)
        let record = try await lead(request, caller: caller)
        return try await send(.update, record, caller: caller, changes: ClientProfileChanges(status: .inactive),
                              message: "Lead disabled successfully")
    }

    func changePassword(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.require(Permission.leadsWrite)
        let record = try await lead(request, caller: caller)
        let password = try LeadsClientInput.password(from: try await OrganizationClientsAPI.jsonBody(request))
        let hash = try await identity.hashPassword(password)
        return try await send(.setPortalPassword, record, caller: caller, portalPasswordHash: hash,
                              message: "Password changed successfully")
    }

    /// Uploads or replaces the lead's passport (multipart field `passport`). Authorized like
    /// the other writes from the request head (the lead is resolved before a byte of the body
    /// is read); the body then streams to the document store, which types it by content. The
    /// previous passport is detached by the same event and its file goes once nothing names it.
    func uploadPassport(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.require(Permission.leadsWrite)
        let record = try await lead(request, caller: caller)
        let uploaded = try await attachments.upload(request, use: .passport, field: "passport")
        let (outcome, _) = try await attachments.attach(uploaded.document, to: record, actor: caller.actor)
        let response = HTTPResponse.json(status: .ok, object: ["message": "Passport uploaded successfully",
                                                               "path": .string(LeadsClientView.passportPath(record))])
        return await readYourWrites.settle(response, id: record.id, outcome: outcome)
    }

    /// The lead's current passport file (the `path` the upload answered), for whoever may read
    /// the lead; 404 when it has none.
    func downloadPassport(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        try caller.requireRead()
        let record = try await lead(request, caller: caller)
        try caller.requireRead(record)
        guard let passport = record.documents.passport else { throw ClienteleError(.notFound, "This lead has no passport") }
        let upstream = try await attachments.documents.content(passport.id, range: request.headers["Range"],
                                                               ifNoneMatch: request.headers["If-None-Match"])
        return try await DocumentDownload.response(upstream, document: passport, rendering: LeadsClientView.error)
    }

    // MARK: Parts

    private func send(_ kind: ClientCommandRequest.Kind, _ record: ClientRecord, caller: LeadsCaller,
                      changes: ClientProfileChanges? = nil, portalPasswordHash: String? = nil,
                      message: String) async throws -> HTTPResponse {
        let outcome = try await commands.send(ClientCommandRequest(command: kind, clientId: record.id, tenantId: record.tenantId,
                                                                   changes: changes, actor: caller.actor,
                                                                   portalPasswordHash: portalPasswordHash))
        return await readYourWrites.settle(LeadsClientView.message(message), id: record.id, outcome: outcome)
    }

    /// The lead the `:leadId` path parameter numbers (a client's public number), among those
    /// the caller's companies hold; 400 for an id that is not a number, 404 when there is no
    /// such lead there.
    private func lead(_ request: HTTPRequest, caller: LeadsCaller) async throws -> ClientRecord {
        guard let raw = request.pathParameters["leadId"], let number = Int64(raw), number > 0 else {
            throw ClienteleError(.invalidArgument, "Invalid client ID", context: ["field": "leadId"])
        }
        if case .tenants(let ids) = caller.readScope, ids.isEmpty { throw Self.notFound }
        let page = try await search.list(ClientListQuery(scope: caller.readScope, limit: 1, number: number))
        guard let record = page.data.first else { throw Self.notFound }
        return record
    }

    static let notFound = ClienteleError(.notFound, "Lead not found")

    /// One page (`page` given: `pageSize` leads) or the whole list, under `key`.
    private func page(_ key: String, _ query: ClientListQuery, request: HTTPRequest) async throws -> HTTPResponse {
        var query = query
        if let raw = request.queryParameter("page") {
            guard let page = Int(raw), (1...Self.maxPage).contains(page) else {
                throw ClienteleError(.invalidArgument, "page must be an integer from 1 to \(Self.maxPage)",
                                     context: ["field": "page"])
            }
            query.limit = Self.pageSize
            query.offset = (page - 1) * Self.pageSize
        } else {
            query.limit = Self.maxUnpagedList
        }
        if case .tenants(let ids) = query.scope, ids.isEmpty {
            return LeadsClientView.page(key, ClientListPage(data: [], total: 0), pageSize: Self.pageSize, context: .init())
        }
        let page = try await search.list(query)
        return LeadsClientView.page(key, page, pageSize: Self.pageSize, context: try await context(for: page.data))
    }

    /// The company names and creator numbers `records` show.
    func context(for records: [ClientRecord]) async throws -> LeadsClientView.Context {
        let companies = try await identity.companies(ids: Set(records.map(\.tenantId)))
        let creators = Set(records.compactMap { record -> UUID? in
            guard let actor = record.createdBy, actor.kind == .user else { return nil }
            return UUID(uuidString: actor.id)
        })
        return LeadsClientView.Context(companyNames: companies.mapValues(\.name),
                                       userNumbers: try await identity.userNumbers(ids: creators))
    }
}
