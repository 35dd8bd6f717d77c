import Errors
import HTTP
import Identity
import ServiceRuntime

/// `POST /api/companies` and `GET /api/companies`, for callers with `companies.manage`
/// (the super-admin role).
///
/// Create takes `{"name": "..."}` and answers `201 {"data": company}` (409 when the name is
/// taken, ignoring case); list answers `{"data": [company]}` by number.
struct CompaniesAPI: Sendable {
    let store: IdentityStore
    let authenticator: SessionAuthenticator

    func register(on setup: ServiceSetup) {
        setup.route(.POST, "/api/companies", options: RouteOptions(maxBodyBytes: IdentityInput.maxBodyBytes),
                    IdentityView.rendering(create))
        setup.route(.GET, "/api/companies", IdentityView.rendering(list))
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
}
