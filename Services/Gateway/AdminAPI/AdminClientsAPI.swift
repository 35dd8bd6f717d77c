import ClientDomain
import Crypto
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import ServiceRuntime

/// The admin clients API, `/api/admin/clients`, for super-admins (every company) and admins
/// (their own companies), through the `clients.admin` permission.
///
/// Lists, searches and the dashboard read the search projection, statistics the stats
/// projection; writes are commands, answered once both projections show them (bounded:
/// `ReadYourWrites`; a bulk request waits once, for all its items together). A client of a company the caller does not cover is 404,
/// exactly like a missing one. DELETE is a hard delete: a `client.deleted` event after which
/// every read model drops the client's data. Every client created here also gets a portal
/// account with a random temporary password nobody sees (only its hash is stored).
///
/// Beyond the document, for what a client portal would report: `POST .../{id}/activity`
/// (`{"type": "active"|"submission"}`) and `PUT .../{id}/account` (`emailVerified`,
/// `twoFactorEnabled`, `avatar`); engagement figures come only from these.
struct AdminClientsAPI: Sendable {
    let authenticator: SessionAuthenticator
    let identity: IdentityStore
    let commands: CommandClient
    let search: SearchClient
    let stats: StatsClient
    let readYourWrites: ReadYourWrites
    let crm: CRMSyncClient

    static let path = "/api/admin/clients"
    static let maxBodyBytes = 64 * 1024
    static let maxBulkBodyBytes = 1024 * 1024
    /// The most items one bulk request may carry.
    static let maxBulkItems = 100

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: Self.maxBodyBytes)
        let bulk = RouteOptions(maxBodyBytes: Self.maxBulkBodyBytes)
        setup.route(.GET, Self.path, rendering(list))
        setup.route(.POST, Self.path, options: options, rendering(create))
        setup.route(.GET, Self.path + "/stats", rendering(statistics))
        setup.route(.GET, Self.path + "/dashboard", rendering(dashboard))
        setup.route(.GET, Self.path + "/advanced-search", rendering(advancedSearch))
        setup.route(.PUT, Self.path + "/bulk", options: bulk, rendering(bulkUpdate))
        setup.route(.DELETE, Self.path + "/bulk", options: bulk, rendering(bulkDelete))
        setup.route(.GET, Self.path + "/:clientId", rendering(get))
        setup.route(.PUT, Self.path + "/:clientId", options: options, rendering(update))
        setup.route(.DELETE, Self.path + "/:clientId", rendering(delete))
        setup.route(.POST, Self.path + "/:clientId/activity", options: options, rendering(activity))
        setup.route(.PUT, Self.path + "/:clientId/account", options: options, rendering(account))
    }

    /// `handler` with every error rendered in this API's envelope.
    private func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        APIErrorRendering.wrap(handler, rendering: AdminClientView.error)
    }

    private func caller(_ request: HTTPRequest) async throws -> AdminCaller {
        try AdminCaller(try await authenticator.authenticate(request))
    }

    // MARK: Reads

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let parsed = try AdminListParameters.parse(request, kind: .list, scope: caller.scope)
        let page = try await listPage(parsed.query)
        return AdminClientView.ok([
            "data": ["clients": .array(page.data.map { .object(AdminClientView.summary($0)) })],
            "meta": ["page": .int(Int64(parsed.page)), "totalPages": .int(Int64((page.total + parsed.limit - 1) / parsed.limit)),
                     "total": .int(Int64(page.total)), "limit": .int(Int64(parsed.limit))],
        ])
    }

    func advancedSearch(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let parsed = try AdminListParameters.parse(request, kind: .advancedSearch, scope: caller.scope)
        let started = ContinuousClock.now
        let page = try await listPage(parsed.query)
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return AdminClientView.ok(["data": [
            "clients": .array(page.data.map { .object(AdminClientView.summary($0)) }),
            "pagination": AdminClientView.pagination(page: parsed.page, limit: parsed.limit, total: page.total),
            "searchMetadata": ["appliedFilters": .object(parsed.applied),
                               "searchTime": .number((milliseconds * 10).rounded() / 10)],
        ]])
    }

    func statistics(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        return AdminClientView.ok(["data": try Self.json(try await stats.stats(caller.scope))])
    }

    /// The list (with `createdAfter`/`createdBefore`), the caller's stats and the pagination.
    func dashboard(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let parsed = try AdminListParameters.parse(request, kind: .dashboard, scope: caller.scope)
        async let figures = stats.stats(caller.scope)
        let page = try await listPage(parsed.query)
        return AdminClientView.ok(["data": [
            "clients": .array(page.data.map { .object(AdminClientView.summary($0)) }),
            "stats": try Self.json(try await figures),
            "pagination": AdminClientView.pagination(page: parsed.page, limit: parsed.limit, total: page.total),
        ]])
    }

    func get(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let record = try await client(request.pathParameters["clientId"], caller)
        return AdminClientView.ok(["data": await view(record)])
    }

    /// The client as `GET .../:clientId` shows it: the full profile and, beyond the document,
    /// its CRM sync (null when crm-sync does not know it or cannot answer).
    func view(_ record: ClientRecord) async -> JSONValue {
        var view = AdminClientView.full(record)
        if case .object(var fields) = view {
            fields["crmSync"] = await crm.clientState(id: record.id, tenantId: record.tenantId) ?? .null
            view = .object(fields)
        }
        return view
    }

    // MARK: Writes

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let creation = try AdminClientInput.creation(from: try await OrganizationClientsAPI.jsonBody(request))
        let tenant = try await caller.company(for: creation.companyId, identity: identity)
        // The client's account: a random temporary password, never shown, logged or put in an
        // event. It is a 256-bit random token, not something a person chose, so key stretching
        // adds nothing: one PBKDF2 round keeps the stored form uniform without spending the
        // 600,000 rounds (a few hundred milliseconds of one core) a human password needs on
        // every create.
        let temporary = PasswordHash.make(password: SecureRandom.token(), iterations: 1).encoded
        let outcome = try await commands.send(ClientCommandRequest(command: .create, clientId: UUID(), tenantId: tenant,
                                                                   profile: creation.profile, actor: caller.actor,
                                                                   portalPasswordHash: temporary))
        guard let record = outcome.client else { throw OrganizationClientsAPI.missingClient }
        let response = AdminClientView.ok(["data": AdminClientView.created(record), "message": "Client created successfully"])
        return await readYourWrites.settle(response, id: record.id, outcome: outcome)
    }

    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let record = try await client(request.pathParameters["clientId"], caller)
        let body = try OrganizationClientInput.jsonObject(try await OrganizationClientsAPI.jsonBody(request))
        let changes = try AdminClientInput.changes(from: body)
        let outcome = try await send(.update, record, caller, changes: changes)
        guard let updated = outcome.client else { throw OrganizationClientsAPI.missingClient }
        let response = AdminClientView.ok(["data": AdminClientView.full(updated), "message": "Client updated successfully"])
        return await readYourWrites.settle(response, id: record.id, outcome: outcome)
    }

    func delete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let record = try await client(request.pathParameters["clientId"], caller)
        let outcome = try await send(.delete, record, caller)
        return await readYourWrites.settle(AdminClientView.ok(["message": "Client deleted successfully"]), id: record.id,
                                           outcome: outcome)
    }

    func activity(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let record = try await client(request.pathParameters["clientId"], caller)
        let submission = try AdminClientInput.activity(from: try await OrganizationClientsAPI.jsonBody(request))
        let outcome = try await commands.send(ClientCommandRequest(command: .recordActivity, clientId: record.id,
                                                                   tenantId: record.tenantId, actor: caller.actor,
                                                                   submission: submission))
        guard let updated = outcome.client else { throw OrganizationClientsAPI.missingClient }
        return await readYourWrites.settle(AdminClientView.ok(["data": AdminClientView.full(updated)]), id: record.id,
                                           outcome: outcome)
    }

    func account(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let record = try await client(request.pathParameters["clientId"], caller)
        let changes = try AdminClientInput.account(from: try await OrganizationClientsAPI.jsonBody(request))
        let outcome = try await send(.update, record, caller, changes: changes)
        guard let updated = outcome.client else { throw OrganizationClientsAPI.missingClient }
        return await readYourWrites.settle(AdminClientView.ok(["data": AdminClientView.full(updated)]), id: record.id,
                                           outcome: outcome)
    }

    // MARK: Bulk

    func bulkUpdate(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let items = try await bulkItems(request)
        return await runBulk(items, verb: "update") { item in
            let record = try await client(item["id"].flatMap { if case .string(let id) = $0 { id } else { nil } }, caller)
            var fields = item
            fields["id"] = nil
            let changes = try AdminClientInput.changes(from: fields)
            return (record.id, try await send(.update, record, caller, changes: changes))
        }
    }

    func bulkDelete(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let items = try await bulkItems(request)
        return await runBulk(items, verb: "delete") { item in
            guard item.keys.allSatisfy({ $0 == "id" }) else {
                throw ValidationFailure(field: "clients", "a bulk delete item holds only its id")
            }
            let record = try await client(item["id"].flatMap { if case .string(let id) = $0 { id } else { nil } }, caller)
            return (record.id, try await send(.delete, record, caller))
        }
    }

    /// `{"clients": [...]}`: a non-empty array of at most `maxBulkItems` objects, each with a
    /// string `id`; anything else is 400 and nothing runs.
    private func bulkItems(_ request: HTTPRequest) async throws -> [[String: JSONValue]] {
        let body = try OrganizationClientInput.jsonObject(try await OrganizationClientsAPI.jsonBody(request, maxBytes: Self.maxBulkBodyBytes))
        guard case .array(let values)? = body["clients"], !values.isEmpty else {
            throw ValidationFailure(field: "clients", "must be a non-empty array")
        }
        guard values.count <= Self.maxBulkItems else {
            throw ValidationFailure(field: "clients", "must hold at most \(Self.maxBulkItems) items (got \(values.count))")
        }
        var issues: [ValidationFailure.Issue] = []
        let items: [[String: JSONValue]] = values.enumerated().compactMap { index, value in
            guard case .object(let object) = value, case .string? = object["id"] else {
                issues.append(.init(field: "clients[\(index)].id", message: "is required"))
                return nil
            }
            return object
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return items
    }

    /// Runs one command per item in order; one item's failure does not stop the others.
    private func runBulk(_ items: [[String: JSONValue]], verb: String,
                         _ run: ([String: JSONValue]) async throws -> (UUID, ClientCommandResponse)) async -> HTTPResponse {
        var results: [JSONValue] = []
        var errors: [JSONValue] = []
        var written: [(UUID, ClientCommandResponse)] = []
        for (index, item) in items.enumerated() {
            do {
                written.append(try await run(item))
                results.append(["index": .int(Int64(index)), "success": true, "id": item["id"] ?? .null])
            } catch {
                let body = (try? JSONDecoder().decode(JSONValue.self, from: Data(AdminClientView.error(error).body))) ?? [:]
                errors.append(["index": .int(Int64(index)), "id": item["id"] ?? .null, "error": body["message"] ?? "Internal server error"])
            }
        }
        let response = AdminClientView.ok([
            "message": .string("Bulk \(verb) completed: \(results.count) successful, \(errors.count) failed"),
            "results": .array(results), "errors": .array(errors),
            "summary": ["total": .int(Int64(items.count)), "successful": .int(Int64(results.count)),
                        "failed": .int(Int64(errors.count))],
        ])
        return await readYourWrites.settle(response, writes: written.map { ($0.0, $0.1.version) })
    }

    // MARK: Parts

    private func send(_ kind: ClientCommandRequest.Kind, _ record: ClientRecord, _ caller: AdminCaller,
                      changes: ClientProfileChanges? = nil) async throws -> ClientCommandResponse {
        try await commands.send(ClientCommandRequest(command: kind, clientId: record.id, tenantId: record.tenantId,
                                                     changes: changes, actor: caller.actor))
    }

    static let notFound = ClienteleError(.notFound, "Client not found")

    /// The client an id of this API names, among the caller's companies; 404 otherwise.
    func client(_ id: String?, _ caller: AdminCaller) async throws -> ClientRecord {
        guard let id, let number = AdminClientView.number(fromId: id) else { throw Self.notFound }
        if case .tenants(let ids) = caller.scope, ids.isEmpty { throw Self.notFound }
        guard let record = try await search.list(ClientListQuery(scope: caller.scope, limit: 1, number: number)).data.first else {
            throw Self.notFound
        }
        return record
    }

    private func listPage(_ query: ClientListQuery) async throws -> ClientListPage {
        if case .tenants(let ids) = query.scope, ids.isEmpty { return ClientListPage(data: [], total: 0) }
        return try await search.list(query)
    }

    /// `stats` as JSON in the document's shape.
    static func json(_ stats: ClientStats) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(stats))
    }
}
