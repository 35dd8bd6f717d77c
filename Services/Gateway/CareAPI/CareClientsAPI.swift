import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import JSON
import ServiceRuntime

/// The care (NDIS) clients API, part 1: lists, NDIS lookup, details (web and mobile), create,
/// deep-merge update (web and mobile), status, and the CSV export (`CareClientsExport`).
///
/// Staff sessions (bearer token or cookie); who may do what is `CareAccess`. Every read of a
/// care client leaves a record in the access audit (`CareAuditTrail`) before it answers: list
/// rows, details, export pages, and reads refused with 403. Ids are the clients' public
/// numbers (`client_<number>` also accepted), the leads API's and `/api/document`'s ids.
/// Writes wait for the search projection (`ReadYourWrites`) and take `Idempotency-Key`
/// (`CareClientsAPI+Idempotency`).
struct CareClientsAPI: Sendable {
    let authenticator: SessionAuthenticator
    let identity: IdentityStore
    let commands: CommandClient
    let search: SearchClient
    let readYourWrites: ReadYourWrites
    let audit: CareAuditTrail
    let timeZones: CompanyTimeZones

    static let listPath = "/api/user/client/list"
    static let byNDISPath = "/api/user/clientByNdis/list"
    static let detailsPath = "/api/user/clientDetails/:id"
    static let mobileDetailsPath = "/api/frontend/clientDetails/client/details/:id"
    static let createPath = "/api/clientDetails/create"
    static let updatePath = "/api/user/clientUpdate/:id"
    static let mobileUpdatePath = "/api/frontend/clientDetails/client/update/:id"
    static let statusPath = "/api/user/updateUserStatus/:id/:status"
    static let stakeholderPath = "/api/user/stakeholder/clientList"
    static let maxBodyBytes = 64 * 1024
    static let maxLimit = 100
    static let maxPage = 100_000
    /// The statuses the status route sets.
    static let settableStatuses: [ClientStatus] = [.active, .inactive, .terminated]

    static let notFound = ClienteleError(.notFound, "Client not found")
    static let unauthorized = ClienteleError(.permissionDenied, "Unauthorized to access this client")
    static let forbidden = ClienteleError(.permissionDenied, "Forbidden: your role does not allow this")

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: Self.maxBodyBytes)
        setup.route(.GET, Self.listPath, rendering(list))
        setup.route(.GET, Self.stakeholderPath, rendering(stakeholderList))
        setup.route(.POST, Self.byNDISPath, options: options, rendering(byNDIS))
        // A details read is short (a cached session, one search read, the audit's append):
        // its task stays on the event loop, so its search read goes out on the loop too.
        let onLoop = RouteOptions(runsOnEventLoop: true)
        setup.route(.GET, Self.detailsPath, options: onLoop, rendering(details))
        setup.route(.GET, Self.mobileDetailsPath, options: onLoop, rendering(details))
        setup.route(.POST, Self.createPath, options: options, rendering(create))
        setup.route(.PUT, Self.updatePath, options: options, rendering(update))
        setup.route(.PUT, Self.mobileUpdatePath, options: options, rendering(update))
        setup.route(.PUT, Self.statusPath, rendering(setStatus))
    }

    func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        APIErrorRendering.wrap(handler, rendering: CareClientView.error)
    }

    func caller(_ request: HTTPRequest, needs permission: String) async throws -> (StaffCaller, CareAccess) {
        let staff = try await authenticator.authenticate(request)
        let access = CareAccess(staff)
        guard access.can(permission) else { throw Self.forbidden }
        return (staff, access)
    }

    static func route(_ request: HTTPRequest) -> String { request.method.rawValue + " " + (request.route ?? request.path) }

    // MARK: Reads

    /// `page` (default 1), `limit` (default 10, at most 100), `search` (names, email, NDIS
    /// number), `status`, `ndisNumber`, and `companyId` for a caller in several companies.
    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await list(request, stakeholder: false)
    }

    /// The caller's own clients: those it coordinates or plan-manages (whatever else its role
    /// reaches); the list's parameters and answer.
    func stakeholderList(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await list(request, stakeholder: true)
    }

    private func list(_ request: HTTPRequest, stakeholder: Bool) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, needs: Permission.careRead)
        var (query, page) = try Self.listQuery(request, access)
        if stakeholder {
            query.care.coordinatedBy = access.userId
            query.care.planManagedBy = access.userId
            query.care.attendedBy = nil
        }
        let result = try await pageOrEmpty(query)
        try await audit.record(staff, route: Self.route(request), clients: result.data, sections: ["list"], outcome: .allowed)
        let totalPages = result.total == 0 ? 0 : (result.total + query.limit - 1) / query.limit
        return CareClientView.ok(.object([
            "clients": .array(result.data.map(CareClientView.listItem)),
            "pagination": .object(["currentPage": .int(Int64(page)), "totalPages": .int(Int64(totalPages)),
                                   "totalItems": .int(Int64(result.total)), "itemsPerPage": .int(Int64(query.limit))]),
        ]))
    }

    /// The list's query from its parameters (shared with the export); the page asked for.
    static func listQuery(_ request: HTTPRequest, _ access: CareAccess) throws -> (ClientListQuery, Int) {
        var issues: [CareIssue] = []
        func integer(_ name: String, default value: Int, in range: ClosedRange<Int>) -> Int {
            guard let text = request.queryParameter(name) else { return value }
            guard let number = Int(text), range.contains(number) else {
                issues.append(CareIssue(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)"))
                return value
            }
            return number
        }
        let page = integer("page", default: 1, in: 1...maxPage)
        let limit = integer("limit", default: 10, in: 1...maxLimit)
        var query = ClientListQuery(scope: .tenants([]), sortBy: .createdAt, sortOrder: .desc, limit: limit, offset: (page - 1) * limit)
        if let status = request.queryParameter("status"), !status.isEmpty {
            if let value = ClientStatus(rawValue: status) { query.statuses = [value] } else {
                issues.append(CareIssue("status", "must be one of " + ClientStatus.allCases.map(\.rawValue).joined(separator: ", ")))
            }
        }
        for (name, keyPath) in [("search", \CareFilters.text), ("ndisNumber", \CareFilters.ndisNumber)] {
            guard let text = request.queryParameter(name), !text.isEmpty else { continue }
            if let problem = ClientFilters.textLimit.problem(text) { issues.append(CareIssue(name, problem)) } else {
                query.care[keyPath: keyPath] = text
            }
        }
        do {
            query.scope = try scope(companyParameter: request.queryParameter("companyId"), access)
        } catch let failure as CareValidationFailure {
            issues += failure.issues
        }
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        if let user = access.listRelation { query.care.relate(to: user) }
        return (query, page)
    }

    /// The caller's companies, or the one `companyParameter` names (which must be one of them).
    static func scope(companyParameter: String?, _ access: CareAccess) throws -> ClientListQuery.TenantScope {
        if let companyParameter, !companyParameter.isEmpty {
            guard let id = UUID(canonical: companyParameter), access.isInCompany(id) else {
                throw CareValidationFailure([CareIssue("companyId", "must be one of your companies")])
            }
            return .tenants([id])
        }
        return access.actsInEveryCompany ? .everyTenant : .tenants(access.companyIds.sorted { $0.uuidString < $1.uuidString })
    }

    /// A page of `query`; empty without asking when the scope holds no company.
    func pageOrEmpty(_ query: ClientListQuery) async throws -> ClientListPage {
        if case .tenants(let ids) = query.scope, ids.isEmpty { return ClientListPage(data: [], total: 0) }
        return try await search.list(query)
    }

    /// `{ndisNumber, filters: {status?}}`: the clients with exactly this NDIS number in the
    /// caller's companies (at most one per company).
    func byNDIS(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, needs: Permission.careRead)
        let body = try CareClientInput.object(try await OrganizationClientsAPI.jsonBody(request, maxBytes: Self.maxBodyBytes))
        var issues: [CareIssue] = []
        for key in body.keys.sorted() where key != "ndisNumber" && key != "filters" && key != "companyId" {
            issues.append(CareIssue(key, "is not a known field"))
        }
        var query = ClientListQuery(scope: .tenants([]), sortBy: .createdAt, sortOrder: .desc, limit: Self.maxLimit)
        if case .string(let number)? = body["ndisNumber"], CareSchema.isNDISNumber(number) {
            query.care.ndisNumber = number
        } else {
            issues.append(CareIssue("ndisNumber", body["ndisNumber"] == nil ? "is required" : "must be nine digits starting with 43"))
        }
        switch body["filters"] {
        case nil, .null?: break
        case .object(let filters)?:
            for key in filters.keys.sorted() where key != "status" { issues.append(CareIssue("filters." + key, "is not a known field")) }
            switch filters["status"] {
            case nil, .null?: break
            case .string(let text)? where ClientStatus(rawValue: text) != nil: query.statuses = [ClientStatus(rawValue: text)!]
            default: issues.append(CareIssue("filters.status", "must be one of " + ClientStatus.allCases.map(\.rawValue).joined(separator: ", ")))
            }
        default: issues.append(CareIssue("filters", "must be an object"))
        }
        var companyParameter: String?
        switch body["companyId"] {
        case nil, .null?: break
        case .string(let text)? where !text.isEmpty: companyParameter = text
        default: issues.append(CareIssue("companyId", "must be one of your companies"))
        }
        do {
            query.scope = try Self.scope(companyParameter: companyParameter, access)
        } catch let failure as CareValidationFailure {
            issues += failure.issues
        }
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        if let user = access.listRelation { query.care.relate(to: user) }
        let result = try await pageOrEmpty(query)
        try await audit.record(staff, route: Self.route(request), clients: result.data, sections: ["list"], outcome: .allowed)
        return CareClientView.ok(.array(result.data.map(CareClientView.listItem)))
    }

    /// The nested profile (web and mobile alike: the mobile route answers the same data).
    func details(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, needs: Permission.careRead)
        let record = try await client(request, staff, access, needs: Permission.careRead)
        let sections = access.visibleSections
        let data = CareClientView.details(record, sections: sections, users: try await userNames(record))
        try await audit.record(staff, route: Self.route(request), clients: [record], sections: sections, outcome: .allowed)
        return CareClientView.ok(data)
    }

    /// The names of the client's plan manager and support coordinator, by user id.
    func userNames(_ record: ClientRecord) async throws -> [String: String] {
        var names: [String: String] = [:]
        for text in [record.profile.care?.planManager, record.profile.care?.supportCoordinator].compactMap({ $0 }) {
            guard names[text] == nil, let id = UUID(canonical: text), let user = try await identity.user(id: id) else { continue }
            names[text] = user.name
        }
        return names
    }

    /// The client `:id` names, if the caller may `permission` it: another company's (or a
    /// missing one) is 404; one of the caller's companies that it does not reach is 403, and
    /// that refused read is recorded in the audit.
    func client(_ request: HTTPRequest, _ staff: StaffCaller, _ access: CareAccess, needs permission: String) async throws -> ClientRecord {
        try await client(request.pathParameters["id"], request, staff, access, needs: permission)
    }

    /// The client `id` names (`client(_:_:_:needs:)` for an id from elsewhere than `:id`).
    func client(_ id: String?, _ request: HTTPRequest, _ staff: StaffCaller, _ access: CareAccess,
                needs permission: String) async throws -> ClientRecord {
        guard let number = id.flatMap(CareClientView.number(fromClientId:)) else { throw Self.notFound }
        // A batched lookup by number (`SearchClient.client(number:tenantId:)`), within the
        // caller's company when it has one; else in any company, the record's company then
        // checked by `decide` (another company's client is "not found", as a missing one).
        let onlyCompany = access.actsInEveryCompany || access.companyIds.count != 1 ? nil : access.companyIds.first
        guard access.actsInEveryCompany || !access.companyIds.isEmpty,
              let record = try await search.client(number: number, tenantId: onlyCompany) else { throw Self.notFound }
        try await authorize(record, request, staff, access, needs: permission)
        return record
    }

    /// Refuses `record` (404, or 403 recorded in the audit) unless the caller may `permission` it.
    func authorize(_ record: ClientRecord, _ request: HTTPRequest, _ staff: StaffCaller, _ access: CareAccess,
                   needs permission: String) async throws {
        switch try await access.decide(permission, on: record, search: search) {
        case .notFound:
            throw Self.notFound
        case .unauthorized:
            try await audit.record(staff, route: Self.route(request), clients: [record], sections: [], outcome: .denied)
            throw Self.unauthorized
        case .allowed:
            return
        }
    }

    // MARK: Writes

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, needs: Permission.careWrite)
        let bytes = try await OrganizationClientsAPI.jsonBody(request, maxBytes: Self.maxBodyBytes)
        let (patch, companyParameter) = try CareClientInput.creation(try CareClientInput.object(bytes))
        if CareClientInput.touchesMedical(patch), !access.can(Permission.careMedicalWrite) { throw Self.forbidden }
        let companyId: UUID
        if let companyParameter {
            guard access.isInCompany(companyParameter) else {
                throw CareValidationFailure([CareIssue("companyId", "must be one of your companies")])
            }
            companyId = companyParameter
        } else if !access.actsInEveryCompany, access.companyIds.count == 1, let only = access.companyIds.first {
            companyId = only
        } else {
            throw CareValidationFailure([CareIssue("companyId", "is required for a caller in several companies")])
        }
        try await CareClientInput.checkRelations(patch, companyId: companyId, today: CareClientInput.today(Date()), identity: identity)
        var profile = ClientProfile()
        patch.apply(to: &profile)
        let idempotency = try idempotency(request, body: bytes, companyId: companyId, staff)
        let outcome = try await commands.send(ClientCommandRequest(command: .create, clientId: UUID(), tenantId: companyId,
                                                                   profile: profile, actor: actor(staff), idempotency: idempotency))
        guard let record = outcome.client else { throw OrganizationClientsAPI.missingClient }
        let (first, last) = CareClientView.names(record)
        let response = CareClientView.ok(.object(["id": CareClientView.id(record), "firstName": .string(first),
                                                  "lastName": .string(last)]),
                                         status: .created, message: "Client created successfully")
        return await readYourWrites.settle(response, id: record.id, outcome: outcome)
    }

    /// A deep merge: a given object merges field by field, a given array replaces, `null`
    /// clears an optional field, an unknown key is a validation error. Answers the profile.
    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, needs: Permission.careWrite)
        let record = try await client(request, staff, access, needs: Permission.careWrite)
        let bytes = try await OrganizationClientsAPI.jsonBody(request, maxBytes: Self.maxBodyBytes)
        let patch = try CareClientInput.update(try CareClientInput.object(bytes), current: record.profile.care)
        if CareClientInput.touchesMedical(patch), !access.can(Permission.careMedicalWrite) { throw Self.forbidden }
        try await CareClientInput.checkRelations(patch, companyId: record.tenantId, today: CareClientInput.today(Date()),
                                                 identity: identity)
        var changes = ClientProfileChanges()
        changes.care = patch
        let idempotency = try idempotency(request, body: bytes, companyId: record.tenantId, staff)
        let outcome = try await commands.send(ClientCommandRequest(command: .update, clientId: record.id, tenantId: record.tenantId,
                                                                   changes: changes, actor: actor(staff), idempotency: idempotency))
        let updated = outcome.client ?? record
        let sections = access.visibleSections
        let data = CareClientView.details(updated, sections: sections, users: try await userNames(updated))
        try await audit.record(staff, route: Self.route(request), clients: [updated], sections: sections, outcome: .allowed)
        return await readYourWrites.settle(CareClientView.ok(data, message: "Client updated successfully"), id: record.id,
                                           outcome: outcome)
    }

    /// `:status` is active, inactive or terminated.
    func setStatus(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await caller(request, needs: Permission.careWrite)
        guard let status = request.pathParameters["status"].flatMap(ClientStatus.init(rawValue:)),
              Self.settableStatuses.contains(status) else {
            throw CareValidationFailure([CareIssue("status", "must be one of active, inactive, terminated")])
        }
        let record = try await client(request, staff, access, needs: Permission.careWrite)
        // The route takes no body: the key's request hash covers the method and path.
        let idempotency = try idempotency(request, body: [], companyId: record.tenantId, staff)
        let outcome = try await commands.send(ClientCommandRequest(command: .update, clientId: record.id, tenantId: record.tenantId,
                                                                   changes: ClientProfileChanges(status: status),
                                                                   actor: actor(staff), idempotency: idempotency))
        return await readYourWrites.settle(CareClientView.message("Client status updated successfully"), id: record.id,
                                           outcome: outcome)
    }

    func actor(_ staff: StaffCaller) -> Actor { Actor(kind: .user, id: staff.user.id.lowercasedString) }
}
