import Errors
import Foundation
import HTTP
import JSON
import ServiceRuntime

/// The gateway's calls to crm-sync: a company's CRM sync configuration, read and saved. The
/// access token passes through to crm-sync, which seals it; crm-sync never answers it back.
struct CRMSyncClient: Sendable {
    let baseURL: String
    let token: InternalToken
    let http: HTTPClient

    /// `{enabled, baseUrl, hasAccessToken}` of a company.
    func configuration(of company: UUID) async throws -> JSONValue {
        try await exchange(.GET, company, body: [])
    }

    /// Saves `{enabled, baseUrl, accessToken?}` (checked by crm-sync) and returns what is stored.
    func save(_ body: JSONValue, for company: UUID) async throws -> JSONValue {
        try await exchange(.PUT, company, body: body.serialized())
    }

    /// A client's `crmSync` (`{state, lastSyncedVersion, lastError, syncedAt}`); nil when
    /// crm-sync does not know the client or cannot answer: the client view never fails for it.
    func clientState(id: UUID, tenantId: UUID) async -> JSONValue? {
        var headers: HTTPHeaders = [InternalToken.headerName: token.value]
        headers.addRequestContext()
        let url = baseURL + "/v1/crm/clients/\(id.lowercasedString)?tenantId=\(tenantId.lowercasedString)"
        guard let response = try? await http.execute(HTTPClientRequest(method: .GET, url: url, headers: headers)),
              response.status.code == 200, let state = try? JSONParser.parse(response.body), case .object = state else { return nil }
        return state
    }

    private func exchange(_ method: HTTPMethod, _ company: UUID, body: [UInt8]) async throws -> JSONValue {
        var headers: HTTPHeaders = [InternalToken.headerName: token.value]
        if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
        headers.addRequestContext()
        let response = try await http.execute(HTTPClientRequest(method: method, url: baseURL + "/v1/crm/companies/\(company.lowercasedString)",
                                                                headers: headers, body: body))
        guard response.status.code == 200 else { throw UpstreamError.clienteleError(from: response, service: "crm-sync") }
        guard let answer = try? JSONParser.parse(response.body), case .object = answer else {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable crm-sync response")
        }
        return answer
    }
}
