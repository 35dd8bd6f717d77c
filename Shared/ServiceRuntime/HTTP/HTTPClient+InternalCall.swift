import HTTP

extension HTTPClient {
    /// POSTs `body` (JSON) to another Clientele service's internal route `url`: with the
    /// internal token, the JSON content type and the current request's context
    /// (`addRequestContext`), retried on a fresh connection when a kept-alive one was found
    /// closed (the internal routes called this way are reads or marks that may repeat).
    /// The caller judges the answer's status.
    public func internalPOST(_ url: String, token: InternalToken, json body: [UInt8]) async throws -> HTTPClientResponse {
        var headers: HTTPHeaders = [InternalToken.headerName: token.value, "Content-Type": "application/json"]
        headers.addRequestContext()
        return try await execute(HTTPClientRequest(method: .POST, url: url, headers: headers, body: body, isRetryable: true))
    }
}
