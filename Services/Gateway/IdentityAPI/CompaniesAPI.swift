import Errors
import Foundation
import HTTP
import Identity
import ServiceRuntime

/// `POST /api/companies` and `GET /api/companies`, for callers with `companies.manage`
/// (the super-admin role); `PATCH /api/companies/:id`, a company's settings.
///
/// Create takes `{"name": "..."}` and answers `201 {"data": company}` (409 when the name is
/// taken, ignoring case); list answers `{"data": [company]}` by number. PATCH takes `{name?,
/// timeZone?}` (an IANA name, `CompanyTimeZone`; what is left out stays) and answers `{"data":
/// company}`: for a caller with `companies.manage`, any company; for one with
/// `companies.settings` (admin), its own companies (another is 404, as if missing). A zone
/// changed here is forgotten at once by this gateway's `CompanyTimeZones`; other gateways
/// see it within that cache's lifetime (a minute).
struct CompaniesAPI: Sendable {
    let store: IdentityStore
    let authenticator: SessionAuthenticator
    let timeZones: CompanyTimeZones

    static let notFound = ClienteleError(.notFound, "Company not found")

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: IdentityInput.maxBodyBytes)
        setup.route(.POST, "/api/companies", options: options, IdentityView.rendering(create))
        setup.route(.GET, "/api/companies", IdentityView.rendering(list))
        setup.route(.PATCH, "/api/companies/:id", options: options, IdentityView.rendering(update))
    }

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        try caller.require(Permission.companiesManage)
        var input = try await IdentityInput.read(request, allowed: ["name"])
        let name = input.string("name", required: true)
        try input.check()
        let company = try await store.createCompany(name: name ?? "")
        return .json(status: .created, object: ["data": IdentityView.company(company)])
    }

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        try caller.require(Permission.companiesManage)
        return .json(status: .ok, object: ["data": .array(try await store.companies().map(IdentityView.company))])
    }

    /// `{name?, timeZone?}`: the company's settings, in one statement.
    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        if !caller.actsInEveryCompany { try caller.require(Permission.companiesSettings) }
        guard let id = request.pathParameters["id"].flatMap(UUID.init(canonical:)), caller.reaches(anyOf: [id]) else {
            throw Self.notFound
        }
        var input = try await IdentityInput.read(request, allowed: ["name", "timeZone"])
        let name = input.string("name", required: false)
        let timeZone = input.timeZone("timeZone")
        try input.check()
        guard let company = try await store.updateCompany(id: id, name: name, timeZone: timeZone) else { throw Self.notFound }
        if timeZone != nil { timeZones.forget(id) }
        return .json(status: .ok, object: ["data": IdentityView.company(company)])
    }
}
