import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// The gateway's calls to the stats projection: the figures for a set of tenants.
struct StatsClient: Sendable {
    let baseURL: String
    let token: InternalToken
    let http: HTTPClient

    /// The stats of the tenants `scope` names; an empty scope has all-zero stats.
    func stats(_ scope: ClientListQuery.TenantScope) async throws -> ClientStats {
        if case .tenants(let ids) = scope, ids.isEmpty { return ClientStats() }
        let query = scope.queryItems.map { "\($0.0)=\(SearchClient.percentEncode($0.1))" }.joined(separator: "&")
        var headers: HTTPHeaders = [InternalToken.headerName: token.value]
        headers.addRequestContext()
        let response = try await http.execute(HTTPClientRequest(method: .GET, url: baseURL + InternalPaths.stats + "?" + query,
                                                                headers: headers))
        guard response.status.code == 200 else {
            throw UpstreamError.clienteleError(from: response, service: "stats-projection")
        }
        do {
            return try InternalJSON.decoder().decode(ClientStats.self, from: Data(response.body))
        } catch {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable stats response: \(error)")
        }
    }
}
