import Errors
import Foundation
import HTTP
import Identity
import JSON
import ServiceRuntime

/// `GET/PUT /api/admin/crm` (`clients.admin`): a company's CRM sync configuration,
/// `{enabled, baseUrl, accessToken}` (docs/api/crm-sync.md). The token is write-only: the
/// answers say `hasAccessToken`, never the token. `companyId` (query) names the company; an
/// admin of one company may leave it out. crm-sync checks and stores it.
struct AdminCRMAPI: Sendable {
    let authenticator: SessionAuthenticator
    let identity: IdentityStore
    let crm: CRMSyncClient

    static let path = "/api/admin/crm"
    static let maxBodyBytes = 16 * 1024

    func register(on setup: ServiceSetup) {
        setup.route(.GET, Self.path, rendering(read))
        setup.route(.PUT, Self.path, options: RouteOptions(maxBodyBytes: Self.maxBodyBytes), rendering(save))
    }

    private func rendering(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) -> HTTPHandler {
        APIErrorRendering.wrap(handler, rendering: AdminClientView.error)
    }

    func read(_ request: HTTPRequest) async throws -> HTTPResponse {
        let company = try await company(of: request)
        return AdminClientView.ok(["data": try await crm.configuration(of: company)])
    }

    func save(_ request: HTTPRequest) async throws -> HTTPResponse {
        let company = try await company(of: request)
        let body = try await request.decodeJSON(maxBytes: Self.maxBodyBytes) { value throws(JSONFieldError) -> JSONValue in
            let object = try JSONObjectReader(value)
            for key in object.fields.keys where !["enabled", "baseUrl", "accessToken"].contains(key) {
                throw JSONFieldError(.invalidValue, path: key, detail: "is not a field of the CRM settings")
            }
            var fields: [String: JSONValue] = ["enabled": .bool(try object.bool("enabled")), "baseUrl": .string(try object.string("baseUrl"))]
            if let token = try object.optionalString("accessToken") { fields["accessToken"] = .string(token) }
            return .object(fields)
        }
        return AdminClientView.ok(["data": try await crm.save(body, for: company), "message": "CRM sync settings saved"])
    }

    /// The company `companyId` names (its id or number), or the caller's only company.
    func company(of request: HTTPRequest) async throws -> UUID {
        let caller = try AdminCaller(try await authenticator.authenticate(request))
        guard let text = request.queryParameter("companyId") else {
            guard !caller.staff.actsInEveryCompany, caller.staff.user.companyIds.count == 1,
                  let only = caller.staff.user.companyIds.first else {
                throw ClienteleError(.invalidArgument, "companyId is required: name the company (you can act in several)",
                                     context: ["field": "companyId"])
            }
            return only
        }
        let company: Company?
        if let id = UUID(uuidString: text) {
            company = try await identity.company(id: id)
        } else if let number = Int64(text), number > 0 {
            company = try await identity.company(number: number)
        } else {
            throw ClienteleError(.invalidArgument, "companyId must be a company id", context: ["field": "companyId"])
        }
        guard let company, caller.staff.reaches(anyOf: [company.id]) else {
            throw ClienteleError(.permissionDenied, "You cannot configure this company's CRM sync", context: ["field": "companyId"])
        }
        return company.id
    }
}
