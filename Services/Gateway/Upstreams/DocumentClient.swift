import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// The gateway's calls to the document store (`InternalPaths.documents`): the one place that
/// knows its routes.
///
/// Uploads stream: the caller's body is forwarded as it arrives (`HTTPClient`'s streamed
/// body), never held whole, with the declared `Content-Length` when there was one so the
/// store can refuse an oversized body before reading it.
struct DocumentClient: Sendable {
    let baseURL: String
    let token: InternalToken
    let http: HTTPClient

    /// Forwards `request`'s multipart body as an upload for `use`, its file in part `field`,
    /// asking back the text fields `fields`.
    func upload(_ request: HTTPRequest, use: DocumentUse, field: String, fields: [String] = []) async throws -> DocumentUploadResult {
        guard let contentType = request.headers["Content-Type"], MultipartParser.boundary(fromContentType: contentType) != nil else {
            throw ClienteleError(.invalidArgument, "The body must be multipart/form-data with a \(field) file",
                                 context: ["field": field])
        }
        var headers = headers()
        headers.replaceOrAdd(name: "Content-Type", value: contentType)
        var query = "?use=\(use.rawValue)&field=\(SearchClient.percentEncode(field))"
        if !fields.isEmpty { query += "&fields=" + SearchClient.percentEncode(fields.joined(separator: ",")) }
        let length = request.headers["Content-Length"].flatMap(Int.init)
        let response = try await http.execute(HTTPClientRequest(method: .POST, url: baseURL + InternalPaths.documents + query,
                                                                headers: headers),
                                              streaming: request.body, contentLength: length)
        guard response.status.code == 201 else { throw UpstreamError.clienteleError(from: response, service: "document-store") }
        return try Self.decode(response) { value throws(JSONFieldError) in try DocumentUploadResult(json: value) }
    }

    /// Claims the upload `id` for a client; nil when it is gone or another client's.
    func claim(_ id: UUID, tenantId: UUID, clientId: UUID, documentType: CareDocumentType?) async throws -> StoredDocument? {
        var object: [String: JSONValue] = ["tenantId": .string(tenantId.uppercasedString), "clientId": .string(clientId.uppercasedString)]
        if let documentType { object["documentType"] = .string(documentType.rawValue) }
        var headers = headers()
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        let response = try await http.execute(HTTPClientRequest(method: .POST, url: baseURL + InternalPaths.documentClaim(id),
                                                                headers: headers, body: JSONValue.object(object).serialized()))
        if response.status.code == 404 { return nil }
        guard response.status.code == 200 else { throw UpstreamError.clienteleError(from: response, service: "document-store") }
        return try Self.decode(response) { value throws(JSONFieldError) in try StoredDocument(json: value) }
    }

    /// The document `id` as the store keeps it; nil when there is none.
    func document(_ id: UUID) async throws -> StoredDocument? {
        let response = try await http.execute(HTTPClientRequest(method: .GET, url: baseURL + InternalPaths.document(id), headers: headers()))
        if response.status.code == 404 { return nil }
        guard response.status.code == 200 else { throw UpstreamError.clienteleError(from: response, service: "document-store") }
        return try Self.decode(response) { value throws(JSONFieldError) in try StoredDocument(json: value) }
    }

    /// The document's bytes as the store answers them (200, 206, 304 or 416, with its headers),
    /// the body streamed: read it to its end or close it. `Range` and `If-None-Match` are
    /// passed on.
    func content(_ id: UUID, range: String?, ifNoneMatch: String?) async throws -> HTTPClientStreamedResponse {
        var headers = headers()
        if let range { headers.replaceOrAdd(name: "Range", value: range) }
        if let ifNoneMatch { headers.replaceOrAdd(name: "If-None-Match", value: ifNoneMatch) }
        let response = try await http.stream(HTTPClientRequest(method: .GET, url: baseURL + InternalPaths.documentContent(id),
                                                               headers: headers))
        guard [200, 206, 304, 416].contains(response.status.code) else {
            let body = try await response.body.collect()
            throw UpstreamError.clienteleError(from: HTTPClientResponse(status: response.status, headers: response.headers, body: body),
                                               service: "document-store")
        }
        return response
    }

    func delete(_ id: UUID) async throws {
        let response = try await http.execute(HTTPClientRequest(method: .DELETE, url: baseURL + InternalPaths.document(id),
                                                                headers: headers()))
        guard response.status.code == 200 else { throw UpstreamError.clienteleError(from: response, service: "document-store") }
    }

    func deleteDocuments(ofClient clientId: UUID) async throws {
        let response = try await http.execute(HTTPClientRequest(method: .DELETE,
                                                                url: baseURL + InternalPaths.documents + "?clientId=" + clientId.lowercasedString,
                                                                headers: headers()))
        guard response.status.code == 200 else { throw UpstreamError.clienteleError(from: response, service: "document-store") }
    }

    /// A client's erasure: deletes every document of `clientId` and, at once, the files no
    /// other document names (`InternalPaths.documentErasures`).
    func eraseDocuments(ofClient clientId: UUID) async throws {
        var headers = headers()
        headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        let body = JSONValue.object(["clientId": .string(clientId.lowercasedString)]).serialized()
        let response = try await http.execute(HTTPClientRequest(method: .POST, url: baseURL + InternalPaths.documentErasures,
                                                                headers: headers, body: body, isRetryable: true))
        guard response.status.code == 200 else { throw UpstreamError.clienteleError(from: response, service: "document-store") }
    }

    private func headers() -> HTTPHeaders {
        var headers: HTTPHeaders = [InternalToken.headerName: token.value]
        headers.addRequestContext()
        return headers
    }

    private static func decode<T>(_ response: HTTPClientResponse, _ read: (JSONValue) throws(JSONFieldError) -> T) throws -> T {
        do {
            return try read(JSONParser.parse(response.body))
        } catch {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable document-store response: \(error)")
        }
    }
}
