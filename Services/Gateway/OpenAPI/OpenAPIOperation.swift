import HTTP

/// One operation of the gateway's OpenAPI document: a route and what it takes and answers.
///
/// `pattern` is the router's pattern (`/api/v1/clients/:id`); the document writes it with
/// OpenAPI templating (`/api/v1/clients/{id}`), each `:name` with its schema from
/// `pathParameters`. `OpenAPIDocument` adds the answers that follow from the operation's
/// `access` and body (see `OpenAPIDocument.operationObject`), in the API's `errorSchema`;
/// list every other answer in `responses`. `OpenAPIResponseContractTests` drives each operation
/// through the real routes and fails on any answer not declared here.
struct OpenAPIOperation: Sendable {
    /// The credential an operation takes.
    enum Access: Sendable {
        /// None (health, login, this document).
        case open
        /// An organization API key: `Authorization: Bearer ba_…`.
        case apiKey
        /// A staff session: `Authorization: Bearer <jwt>` or the `token` cookie.
        case session
        /// The services' internal token, `X-Internal-Token` (metrics).
        case internalToken
    }

    var method: HTTPMethod
    var pattern: String
    var operationId: String
    var summary: String
    var tag: String
    var access: Access
    /// The schema of each `:name` segment of `pattern`, by name.
    var pathParameters: [String: JSONValue] = [:]
    /// Query and header parameters (path parameters come from `pattern`).
    var parameters: [JSONValue] = []
    /// The schema of the request body (`requestContentType`), required when present.
    var requestBody: JSONValue? = nil
    /// The largest body the route reads (its `RouteOptions.maxBodyBytes`), for the 413 answer.
    var maxBodyBytes: Int? = nil
    /// The body of this API's errors (`Error`, `LeadsError`, `AdminError`…), for the answers
    /// the document adds.
    var errorSchema: JSONValue = OpenAPIDocument.schemaRef("Error")
    var responses: [Int: OpenAPIResponse]
    /// The request body's media type (`multipart/form-data` for uploads).
    var requestContentType = "application/json"
    /// A multipart body's encoding object (the media types a file part may hold), by part.
    var requestEncoding: [String: JSONValue] = [:]

    /// The path in OpenAPI templating: `:id` becomes `{id}`.
    var templatedPath: String { Self.templated(pattern) }

    /// A router pattern in OpenAPI templating: `/a/:id` becomes `/a/{id}`.
    static func templated(_ pattern: String) -> String {
        "/" + pattern.split(separator: "/").map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
    }

    /// The names of the pattern's `:name` segments, in order.
    var pathParameterNames: [String] {
        pattern.split(separator: "/").filter { $0.hasPrefix(":") }.map { String($0.dropFirst()) }
    }
}

/// One answer of an operation: a description, a body and headers.
struct OpenAPIResponse: Sendable {
    var description: String
    /// The body's schema, nil for no body.
    var schema: JSONValue?
    /// The body's media types, without parameters: one, or several where the content decides
    /// (a download is served as the type sniffed from its bytes).
    var contentTypes: [String]
    /// Header name to OpenAPI header object (or `$ref`).
    var headers: [String: JSONValue] = [:]

    init(_ description: String, _ schema: JSONValue? = nil, contentType: String = "application/json",
         headers: [String: JSONValue] = [:]) {
        self.init(description, schema, contentTypes: [contentType], headers: headers)
    }

    init(_ description: String, _ schema: JSONValue?, contentTypes: [String], headers: [String: JSONValue] = [:]) {
        self.description = description
        self.schema = schema
        self.contentTypes = contentTypes
        self.headers = headers
    }

    /// An error in the organization and identity APIs' envelope (`{"error": message, "code": code, "details"?}`).
    static func error(_ description: String) -> OpenAPIResponse {
        OpenAPIResponse(description, OpenAPIDocument.schemaRef("Error"))
    }
}
