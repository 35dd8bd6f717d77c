import InternalAPI
import JSON

extension SearchClient {
    /// A keyset page of one tenant's clients (the workspace API's lists).
    func page(_ query: ClientCursorQuery) async throws -> ClientCursorPage {
        let parameters = query.queryItems.map { "\($0.0)=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        let response = try await get(InternalPaths.clientPages + "?" + parameters)
        guard response.status.code == 200 else {
            throw UpstreamError.clienteleError(from: response, service: "search-projection")
        }
        return try Self.decode(response) { value throws(JSONFieldError) in try ClientCursorPage(internalJSON: value) }
    }
}
