import HTTP
import ServiceRuntime

/// The gateway's OpenAPI 3.1 document, served at `GET /openapi.json` without a credential.
///
/// It lists every route the gateway serves except the placeholders of APIs not built yet
/// (`GatewayRoutes.placeholders`: every method under those prefixes answers 501, and
/// `info.description` names them). `OpenAPIDocumentTests` builds the gateway's real route
/// table and fails when a route is missing here or an operation here has no route.
///
/// Adding an API: write its operations and schemas in `OpenAPIDocument+<API>.swift` (see
/// `OpenAPIDocument+Organization.swift`), then add them to `operations` and `schemas` below.
/// Security requirements, the 401/413/415/429 answers and the rate-limit headers are added
/// from each operation's `access` and body (see `OpenAPIOperation`).
enum OpenAPIDocument {
    static let path = "/openapi.json"

    /// Every documented operation.
    static var operations: [OpenAPIOperation] {
        serviceOperations + organizationOperations + identityOperations + leadsOperations + adminOperations + documentOperations
    }

    /// Every named schema, referenced as `#/components/schemas/<name>`.
    static var schemas: [String: JSONValue] {
        commonSchemas.merging(serviceSchemas) { first, _ in first }
            .merging(organizationSchemas) { first, _ in first }
            .merging(identitySchemas) { first, _ in first }
            .merging(leadsSchemas) { first, _ in first }
            .merging(adminSchemas) { first, _ in first }
            .merging(documentSchemas) { first, _ in first }
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
        var pathParameters: [String: [String]] = [:]
        for operation in operations {
            let path = operation.templatedPath
            items[path, default: [:]][operation.method.rawValue.lowercased()] = operationObject(operation)
            pathParameters[path] = operation.pathParameterNames
        }
        var paths: [String: JSONValue] = [:]
        for (path, methods) in items {
            var item = methods
            if let names = pathParameters[path], !names.isEmpty {
                item["parameters"] = .array(names.map { name in
                    ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string", "format": "uuid"]]
                })
            }
            paths[path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": info,
            "tags": tags,
            "paths": .object(paths),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": securitySchemes,
                "headers": headers,
            ],
        ]
    }

    static func operationObject(_ operation: OpenAPIOperation) -> JSONValue {
        var responses = operation.responses
        if operation.requestBody != nil {
            responses[413] = responses[413] ?? .error("The body is larger than the route's limit (64 KiB)")
            responses[415] = responses[415] ?? .error("The body is not `application/json`")
        }
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
        }
        if operation.access != .open {
            responses[401] = responses[401] ?? .error("No valid credential (every failure answers alike)")
            responses[429] = responses[429] ?? .error(operation.access == .apiKey
                ? "The key's rate limit is spent, or the client address sent too many unknown keys; retry after `Retry-After` seconds"
                : "The credential's rate limit is spent; retry after `Retry-After` seconds")
            for status in responses.keys where status != 401 {
                for name in ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"] {
                    responses[status]?.headers[name] = headerRef(name)
                }
            }
            responses[429]?.headers["Retry-After"] = headerRef("Retry-After")
        }
        if !operation.parameters.isEmpty { object["parameters"] = .array(operation.parameters) }
        if let schema = operation.requestBody {
            object["requestBody"] = ["required": true, "content": [operation.requestContentType: ["schema": schema]]]
        }
        var rendered: [String: JSONValue] = [:]
        for (status, response) in responses {
            var answer: [String: JSONValue] = ["description": .string(response.description)]
            if let schema = response.schema { answer["content"] = [response.contentType: ["schema": schema]] }
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
                The public HTTP surface of Clientele. The APIs' errors are \
                `{"error": message, "code": code}`, plus `details: [{field, message}]` for bad input; \
                paths without a route (404, 405) and the reserved paths below answer \
                `{"error": code, "message": message}`. \
                Every answer carries `X-Request-Id` and `X-Correlation-Id`. Authenticated answers carry \
                `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy` when \
                rate limits are on (per API key or staff user, per gateway instance). \
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
        ["name": "operations", "description": "Health, readiness, metrics and this document"],
    ]

    static let securitySchemes: JSONValue = [
        "apiKey": ["type": "http", "scheme": "bearer", "bearerFormat": "ba_ API key",
                   "description": "A company's API key: `Authorization: Bearer ba_…`"],
        "sessionBearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                          "description": "A staff session token from `POST /api/auth/login`"],
        "sessionCookie": ["type": "apiKey", "in": "cookie", "name": "token",
                          "description": "The same session token as the `token` cookie set by login"],
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
