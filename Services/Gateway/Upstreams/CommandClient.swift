import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// The gateway's calls to the command service: one `ClientCommandRequest` per write.
///
/// Sends the internal token and the request's context (request id, correlation id and
/// trace: `HTTPHeaders.addRequestContext()`), so the events carry them.
///
/// Every write goes through here, so here the document store learns what no longer
/// references its documents: after a client's deletion its documents are deleted, and after a
/// command that detached documents (a replaced passport, a removed document) those are
/// (`documents`; the store's sweep then removes the files nothing names). A failure there
/// does not undo the write: it is logged (ids only) and the documents stay until deleted again.
struct CommandClient: Sendable {
    let baseURL: String
    let token: InternalToken
    let http: HTTPClient
    /// The document store, told of detached documents; nil where documents are not served.
    var documents: DocumentClient?
    var logger: Logger?

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
        let answer: ClientCommandResponse
        do {
            answer = try ClientCommandResponse(internalJSON: JSONParser.parse(response.body))
        } catch {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable command response: \(error)")
        }
        await releaseDocuments(after: request, answer)
        return answer
    }

    /// Has the document store delete what `request` detached.
    private func releaseDocuments(after request: ClientCommandRequest, _ answer: ClientCommandResponse) async {
        guard let documents, !answer.replayed else { return }
        do {
            if request.command == .delete {
                try await documents.deleteDocuments(ofClient: request.clientId)
            }
            for id in answer.detachedDocumentIds { try await documents.delete(id) }
        } catch {
            logger?.warning("deleting detached documents failed", ["client_id": request.clientId.lowercasedString,
                                                                   "error": String(describing: error)])
        }
    }
}
