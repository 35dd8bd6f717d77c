import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

extension CommandClient {
    /// A page of client `id`'s history in `tenantId` after stream version `after`
    /// (`InternalPaths.clientHistory`); the command service's 404 comes back as not found.
    func history(of id: UUID, tenantId: UUID, after: Int64) async throws -> ClientHistoryPage {
        var headers: HTTPHeaders = [InternalToken.headerName: token.value]
        headers.addRequestContext()
        let url = baseURL + InternalPaths.clientHistory(id) + "?tenantId=\(tenantId.lowercasedString)&after=\(after)"
        let response = try await http.execute(HTTPClientRequest(method: .GET, url: url, headers: headers))
        guard response.status.code == 200 else {
            throw UpstreamError.clienteleError(from: response, service: "command-service")
        }
        do {
            return try ClientHistoryPage(json: JSONParser.parse(response.body))
        } catch {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable client history: \(error)")
        }
    }
}
