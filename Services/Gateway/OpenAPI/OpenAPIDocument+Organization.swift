import ClientDomain
import HTTP

/// The organization REST API, `/api/v1/clients` (`OrganizationClientsAPI`).
extension OpenAPIDocument {
    static var organizationOperations: [OpenAPIOperation] {
        let path = OrganizationClientsAPI.path
        let client = OpenAPIResponse("The client", schemaRef("ClientEnvelope"), headers: ["ETag": etagHeader])
        let written = OpenAPIResponse("The client as written", schemaRef("ClientEnvelope"),
                                      headers: ["ETag": etagHeader, "Idempotent-Replayed": replayedHeader,
                                                "X-Consistency": consistencyHeader])
        let created = OpenAPIResponse("Created", schemaRef("ClientEnvelope"),
                                      headers: ["Location": ["description": "`/api/v1/clients/<id>`", "schema": ["type": "string"]],
                                                "ETag": etagHeader, "Idempotent-Replayed": replayedHeader,
                                                "X-Consistency": consistencyHeader])
        let deleted = OpenAPIResponse("Deleted", schemaRef("Success"),
                                      headers: ["Idempotent-Replayed": replayedHeader, "X-Consistency": consistencyHeader])
        let invalid = OpenAPIResponse.error("Validation failed; `details` names every bad field, parameter or header")
        let forbidden = OpenAPIResponse.error("The key lacks `clients:read` (reads) or `clients:write` (writes)")
        let missing = OpenAPIResponse.error("No such client in the key's company (another company's client, or an id that is not a UUID)")
        let stale = OpenAPIResponse.error("`If-Match` does not carry the client's current ETag; nothing changed")
        let reused = OpenAPIResponse.error("The `Idempotency-Key` was used with another request")
        let unavailable = OpenAPIResponse.error("An internal service is unavailable; retry")
        return [
            OpenAPIOperation(method: .GET, pattern: path, operationId: "listClients",
                             summary: "List the company's clients, filtered, sorted and paged", tag: "organization",
                             access: .apiKey, parameters: listParameters,
                             responses: [200: OpenAPIResponse("A page of clients and the total over the filter", schemaRef("ClientPage")),
                                         400: invalid, 403: forbidden, 503: unavailable]),
            OpenAPIOperation(method: .POST, pattern: path, operationId: "createClient", summary: "Create a client",
                             tag: "organization", access: .apiKey, parameters: [idempotencyKey],
                             requestBody: schemaRef("ClientCreate"),
                             responses: [201: created, 400: invalid, 403: forbidden, 422: reused, 503: unavailable]),
            OpenAPIOperation(method: .GET, pattern: path + "/:id", operationId: "getClient", summary: "Get a client",
                             tag: "organization", access: .apiKey,
                             responses: [200: client, 403: forbidden, 404: missing, 503: unavailable]),
            OpenAPIOperation(method: .PATCH, pattern: path + "/:id", operationId: "updateClient",
                             summary: "Change some of a client's fields (`null` clears phone or notes)", tag: "organization",
                             access: .apiKey, parameters: [ifMatch, idempotencyKey], requestBody: schemaRef("ClientPatch"),
                             responses: [200: written, 400: invalid, 403: forbidden, 404: missing, 412: stale, 422: reused,
                                         503: unavailable]),
            OpenAPIOperation(method: .DELETE, pattern: path + "/:id", operationId: "deleteClient", summary: "Delete a client",
                             tag: "organization", access: .apiKey, parameters: [ifMatch, idempotencyKey],
                             responses: [200: deleted, 400: invalid, 403: forbidden, 404: missing, 412: stale, 422: reused,
                                         503: unavailable]),
        ]
    }

    private static var listParameters: [JSONValue] {
        [
            parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": 100, "default": 50], "Page size"),
            parameter("offset", in: "query",
                      ["type": "integer", "minimum": 0, "maximum": .int(Int64(OrganizationListParameters.maxOffset)), "default": 0],
                      "Clients to skip"),
            parameter("query", in: "query", ["type": "string", "maxLength": .int(Int64(OrganizationListParameters.maxQueryLength))],
                      "Case-insensitive substring of name or phone"),
            parameter("sortBy", in: "query", ["enum": ["name", "phone", "status", "createdAt"], "default": "createdAt"], "Sort field"),
            parameter("sortOrder", in: "query", ["enum": ["asc", "desc"], "default": "asc"], "Sort direction"),
            parameter("status", in: "query", ["type": "string", "pattern": "^(active|inactive)(,(active|inactive))*$"],
                      "Comma list of statuses; `inactive` covers every status but active"),
        ]
    }

    private static var idempotencyKey: JSONValue {
        parameter("Idempotency-Key", in: "header",
                  ["type": "string", "minLength": 1, "maxLength": .int(Int64(OrganizationWriteHeaders.maxIdempotencyKeyLength)),
                   "pattern": "^[!-~]+$"],
                  "Repeating a write with the same key, method, path and body answers the first response and writes nothing")
    }

    private static var ifMatch: JSONValue {
        parameter("If-Match", in: "header", ["type": "string", "examples": ["\"3\"", "*"]],
                  "The client's current ETag (or `*`); otherwise 412 and nothing changes")
    }

    private static let etagHeader: JSONValue = ["description": "The client's version, `\"<n>\"`", "schema": ["type": "string"]]
    private static let replayedHeader: JSONValue = ["description": "`true` when this answers a repeated `Idempotency-Key`",
                                                    "schema": ["const": "true"]]
    private static let consistencyHeader: JSONValue = [
        "description": "`pending` when the write is stored but reads may not show it yet (`READ_YOUR_WRITES_TIMEOUT_MS` passed)",
        "schema": ["const": "pending"],
    ]

    static var organizationSchemas: [String: JSONValue] {
        let limits = ClientFieldLimits()
        let name: JSONValue = ["type": "string", "minLength": 1, "maxLength": .int(Int64(limits.name.maxCharacters))]
        let phone: JSONValue = ["type": ["string", "null"], "maxLength": .int(Int64(limits.phone.maxCharacters))]
        let notes: JSONValue = ["type": ["string", "null"], "maxLength": .int(Int64(limits.notes.maxCharacters))]
        let status: JSONValue = ["enum": ["active", "inactive"]]
        let time: JSONValue = ["type": "string", "format": "date-time"]
        return [
            "Client": [
                "type": "object",
                "required": ["id", "name", "phone", "status", "notes", "createdAt", "updatedAt"],
                "properties": [
                    "id": ["type": "string", "format": "uuid"],
                    "name": ["type": ["string", "null"], "description": "null only for a client another API created without one"],
                    "phone": ["type": ["string", "null"]],
                    "status": ["enum": ["active", "inactive"],
                               "description": "Statuses other APIs know (`suspended`, `trial`) show as `inactive`"],
                    "notes": ["type": ["string", "null"]],
                    "createdAt": time,
                    "updatedAt": time,
                ],
            ],
            "ClientCreate": [
                "type": "object",
                "required": ["name"],
                "additionalProperties": false,
                "properties": ["name": name, "phone": phone, "notes": notes,
                               "status": ["enum": ["active", "inactive"], "default": "active"]],
            ],
            "ClientPatch": [
                "type": "object",
                "additionalProperties": false,
                "description": "Any subset; `{}` changes nothing and answers the current client",
                "properties": ["name": name, "phone": phone, "notes": notes, "status": status],
            ],
            "ClientEnvelope": [
                "type": "object",
                "required": ["data"],
                "properties": ["data": schemaRef("Client")],
            ],
            "ClientPage": [
                "type": "object",
                "required": ["data", "total"],
                "properties": [
                    "data": ["type": "array", "items": schemaRef("Client")],
                    "total": ["type": "integer", "minimum": 0, "description": "Clients matching the filter, over every page"],
                ],
            ],
        ]
    }
}
