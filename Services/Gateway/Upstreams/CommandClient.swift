import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// The gateway's calls to the command service: one `ClientCommandRequest` per write.
///
/// Sends the internal token and the request's context (request id, correlation id and
/// trace: `HTTPHeaders.addRequestContext()`), so the events carry them.
struct CommandClient: Sendable {
    let baseURL: String
    let token: InternalToken
    let http: HTTPClient

    /// Sends `request`; the command service's error comes back as the `ClienteleError` it threw.
    func send(_ request: ClientCommandRequest) async throws -> ClientCommandResponse {
        var headers: HTTPHeaders = ["Content-Type": "application/json", InternalToken.headerName: token.value]
        headers.addRequestContext()
        let body = request.internalJSON.serialized()
        let response = try await http.execute(HTTPClientRequest(method: .POST, url: baseURL + InternalPaths.clientCommands,
                                                                headers: headers, body: body))
        guard response.status.code == 200 else {
            throw UpstreamError.clienteleError(from: response, service: "command-service")
        }
        do {
            return try ClientCommandResponse(internalJSON: JSONParser.parse(response.body))
        } catch {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable command response: \(error)")
        }
    }
}
