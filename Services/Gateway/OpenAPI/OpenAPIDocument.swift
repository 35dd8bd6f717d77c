import HTTP
import ServiceRuntime

/// The gateway's OpenAPI 3.1 document, served at `GET /openapi.json` without a credential.
///
/// It lists every route the gateway serves except the placeholders of APIs not built yet
/// (`GatewayRoutes.placeholders`: every method under those prefixes answers 501, and
/// `info.description` names them), with every answer each gives and every rule its input
/// must meet. It is the contract, checked both ways: `OpenAPIDocumentTests` builds the
/// gateway's real route table and fails when a route is missing here or an operation here
/// has no route; `OpenAPIResponseContractTests` fails when an operation answers a status
/// (or a body) not declared here; `Tests/Contract/schemathesis.sh` (in CI) runs schemathesis
/// against a running stack.
///
/// Adding an API: write its operations and schemas in `OpenAPIDocument+<API>.swift` (see
/// `OpenAPIDocument+Organization.swift`; shared schemas such as `text(_:)` are in
/// `OpenAPIDocument+Schemas.swift`), add them to `operations` and `schemas` below, and give
/// each operation an example request in `OpenAPIResponseContractTests.example`. Security
/// requirements, the answers that follow from access and body, and the rate-limit headers
/// are added from each operation's `access` and body (`answers(of:)`).
enum OpenAPIDocument {
    static let path = "/openapi.json"

    /// Every documented operation.
    static var operations: [OpenAPIOperation] {
        serviceOperations + organizationOperations + identityOperations + leadsOperations + adminOperations + documentOperations
            + careOperations + careRecordOperations + workspaceOperations + crmOperations
    }

    /// Every named schema, referenced as `#/components/schemas/<name>`.
    static var schemas: [String: JSONValue] {
        commonSchemas.merging(serviceSchemas) { first, _ in first }
            .merging(organizationSchemas) { first, _ in first }
            .merging(identitySchemas) { first, _ in first }
            .merging(leadsSchemas) { first, _ in first }
            .merging(adminSchemas) { first, _ in first }
            .merging(documentSchemas) { first, _ in first }
            .merging(careSchemas) { first, _ in first }
            .merging(careRecordSchemas) { first, _ in first }
            .merging(workspaceSchemas) { first, _ in first }
            .merging(crmSchemas) { first, _ in first }
    }

    /// The document.
    static let json: JSONValue = build()

    /// Serves the document at `path`.
    static func register(on setup: ServiceSetup) {
        let response = HTTPResponse.json(status: .ok, object: json)
        setup.route(.GET, path) { _ in response }
    }

    static func schemaRef(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    static func headerRef(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/headers/\(name)")]
    }

    /// A query or header parameter, optional unless `required`.
    static func parameter(_ name: String, in location: String, _ schema: JSONValue, _ description: String,
                          required: Bool = false) -> JSONValue {
        ["name": .string(name), "in": .string(location), "required": .bool(required), "schema": schema,
         "description": .string(description)]
    }

    // MARK: Assembly

    static func build() -> JSONValue {
        var items: [String: [String: JSONValue]] = [:]
        for operation in operations {
            items[operation.templatedPath, default: [:]][operation.method.rawValue.lowercased()] = operationObject(operation)
        }
        return [
            "openapi": "3.1.0",
            "info": info,
            "tags": tags,
            "paths": .object(items.mapValues(JSONValue.object)),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": securitySchemes,
                "headers": headers,
            ],
        ]
    }

    /// Every answer of `operation`: its own `responses` and those that follow from its access
    /// and body.
    ///
    /// With a body: 400 (not JSON, not an object, or against the schema), 413 (larger than
    /// the route reads; the HTTP layer answers it before the operation, in its own envelope)
    /// and 415 (not `application/json`). With a credential: 401, 429 (`Retry-After`), and 500
    /// and 503 (the database or an internal service failed or is unavailable), with the
    /// `RateLimit-*` headers on every answer after authentication (all but 401, 500 and 503).
    static func answers(of operation: OpenAPIOperation) -> [Int: OpenAPIResponse] {
        var responses = operation.responses
        func add(_ status: Int, _ description: String, _ schema: JSONValue) {
            if responses[status] == nil { responses[status] = OpenAPIResponse(description, schema) }
        }
        if operation.requestBody != nil {
            add(400, "The body is not JSON, not an object, or does not match the schema; the error names each bad field",
                operation.errorSchema)
            let limit = operation.maxBodyBytes.map { "\($0 / 1024) KiB" } ?? "the route's limit"
            add(413, "The body is larger than \(limit) (answered before the operation, in the HTTP layer's envelope)",
                schemaRef("ServiceError"))
            add(415, "The body is not `application/json` (or another `application/*+json` type)", operation.errorSchema)
        }
        switch operation.access {
        case .open:
            break
        case .internalToken:
            add(401, "No valid `X-Internal-Token`", schemaRef("ServiceError"))
        case .apiKey, .session:
            add(401, "No valid credential (every failure answers alike)", operation.errorSchema)
            add(429, operation.access == .apiKey
                ? "The key's rate limit is spent, or the client address sent too many unknown keys; retry after `Retry-After` seconds"
                : "The credential's rate limit is spent; retry after `Retry-After` seconds", operation.errorSchema)
            add(500, "An internal error: an internal service answered what it must not (reported in the logs)",
                operation.errorSchema)
            add(503, "The database or an internal service is unavailable; retry", operation.errorSchema)
            for status in responses.keys where ![401, 500, 503].contains(status) {
                for name in ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"] {
                    responses[status]?.headers[name] = headerRef(name)
                }
            }
            responses[429]?.headers["Retry-After"] = headerRef("Retry-After")
        }
        return responses
    }

    static func operationObject(_ operation: OpenAPIOperation) -> JSONValue {
        var object: [String: JSONValue] = [
            "operationId": .string(operation.operationId),
            "summary": .string(operation.summary),
            "tags": [.string(operation.tag)],
        ]
        switch operation.access {
        case .open:
            object["security"] = []
        case .apiKey:
            object["security"] = [["apiKey": []]]
        case .session:
            object["security"] = [["sessionBearer": []], ["sessionCookie": []]]
        case .internalToken:
            object["security"] = [["internalToken": []]]
        }
        let pathParameters: [JSONValue] = operation.pathParameterNames.map { name in
            ["name": .string(name), "in": "path", "required": true, "schema": operation.pathParameters[name] ?? [:]]
        }
        if !(pathParameters + operation.parameters).isEmpty { object["parameters"] = .array(pathParameters + operation.parameters) }
        if let schema = operation.requestBody {
            var content: [String: JSONValue] = ["schema": schema]
            if !operation.requestEncoding.isEmpty { content["encoding"] = .object(operation.requestEncoding) }
            object["requestBody"] = ["required": true, "content": [operation.requestContentType: .object(content)]]
        }
        var rendered: [String: JSONValue] = [:]
        for (status, response) in answers(of: operation) {
            var answer: [String: JSONValue] = ["description": .string(response.description)]
            if let schema = response.schema {
                answer["content"] = .object(Dictionary(uniqueKeysWithValues: response.contentTypes.map { ($0, ["schema": schema]) }))
            }
            if !response.headers.isEmpty { answer["headers"] = .object(response.headers) }
            rendered[String(status)] = .object(answer)
        }
        object["responses"] = .object(rendered)
        return .object(object)
    }

    // MARK: Document-wide parts

    static var info: JSONValue {
        let reserved = GatewayRoutes.placeholders
            .map { "`\(OpenAPIOperation.templated($0.prefix))`" }.joined(separator: ", ")
        return [
            "title": "Clientele gateway",
            "version": .string(ClienteleVersion.current),
            "description": .string("""
                The public HTTP surface of Clientele. Each operation lists every answer it gives. The \
                organization, identity and workspace APIs' errors are `{"error": message, "code": code}`, plus \
                `details: [{field, message}]` for bad input; the leads API's `{"message", "errors"?}`; \
                the admin API's `{"success": false, "message", "code", "errors"?}`; the care API's \
                `{"success": false, "message"}`. \
                Before any operation, the HTTP layer answers what no operation sees, in the envelope \
                `{"error": code, "message": message}` (`ServiceError`): 400 (a malformed request or \
                percent-encoding), 404 (no route for the path), 405 with `Allow` (a method of RFC 9110 \
                the path does not serve), 408, 411 (a body without a length), 413 (a body larger than \
                the route reads: 1 MiB where an operation declares no body), 414, 431, 501 (a method \
                the server does not recognise) and 505. \
                Every answer carries `X-Request-Id` and `X-Correlation-Id`. Authenticated answers carry \
                `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy` when \
                rate limits are on (per API key or staff user, per gateway instance). \
                Text limits count characters as Unicode code points (as `maxLength` does), and no text \
                field takes control characters (line feed and tab only where a field says so) or \
                Unicode noncharacters. \
                Reserved for APIs not built yet, answering 501 `not_implemented` to every method: \(reserved) \
                and every path below them.
                """),
        ]
    }

    static let tags: JSONValue = [
        ["name": "organization", "description": "The organization REST API, for a company's API keys"],
        ["name": "identity", "description": "Staff sessions, companies, users and API keys"],
        ["name": "leads", "description": "The leads API, for staff sessions"],
        ["name": "admin", "description": "The admin clients API, for super-admins and admins"],
        ["name": "care", "description": "The care API's client documents, for staff sessions with care.documents"],
        ["name": "workspace", "description": "The workspace clients API and its custom fields, for staff sessions"],
        ["name": "operations", "description": "Health, readiness, metrics and this document"],
    ]

    static let securitySchemes: JSONValue = [
        "apiKey": ["type": "http", "scheme": "bearer", "bearerFormat": "ba_ API key",
                   "description": "A company's API key: `Authorization: Bearer ba_…`"],
        "sessionBearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                          "description": "A staff session token from `POST /api/auth/login`"],
        "sessionCookie": ["type": "apiKey", "in": "cookie", "name": "token",
                          "description": "The same session token as the `token` cookie set by login"],
        "internalToken": ["type": "apiKey", "in": "header", "name": "X-Internal-Token",
                          "description": "The services' shared `INTERNAL_TOKEN` (operators only)"],
    ]

    static let headers: JSONValue = [
        "RateLimit-Limit": ["description": "Requests the principal may make per window",
                            "schema": ["type": "integer", "minimum": 1]],
        "RateLimit-Remaining": ["description": "Requests the principal may still make right away",
                                "schema": ["type": "integer", "minimum": 0]],
        "RateLimit-Reset": ["description": "Seconds until the whole budget is available again",
                            "schema": ["type": "integer", "minimum": 0]],
        "RateLimit-Policy": ["description": "The policy, `<requests>;w=<window seconds>`",
                             "schema": ["type": "string", "examples": ["600;w=60"]]],
        "Retry-After": ["description": "Seconds to wait before retrying", "schema": ["type": "integer", "minimum": 1]],
    ]

    static let commonSchemas: [String: JSONValue] = [
        "Error": [
            "type": "object",
            "required": ["error", "code"],
            "properties": [
                "error": ["type": "string", "description": "A message safe to show"],
                "code": ["type": "string", "description": "A stable code such as `invalid_argument` or `resource_exhausted`"],
                "details": ["type": "array", "items": schemaRef("FieldIssue")],
            ],
        ],
        "ServiceError": [
            "type": "object",
            "required": ["error", "message"],
            "description": "The HTTP layer's and the operations routes' envelope (not an API's)",
            "properties": [
                "error": ["type": "string", "description": "A stable code such as `payload_too_large` or `unauthenticated`"],
                "message": ["type": "string"],
            ],
        ],
        "FieldIssue": [
            "type": "object",
            "required": ["field", "message"],
            "properties": ["field": ["type": "string"], "message": ["type": "string"]],
        ],
        "Success": [
            "type": "object",
            "required": ["success"],
            "properties": ["success": ["const": true]],
        ],
    ]
}
