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
        let invalid = OpenAPIResponse.error("Validation failed; `details` names every bad field, parameter or header "
                                            + "(a body, a list parameter, `Idempotency-Key`)")
        let forbidden = OpenAPIResponse.error("The key lacks `clients:read` (reads) or `clients:write` (writes)")
        let missing = OpenAPIResponse.error("No such client in the key's company (another company's client, or an id that is not a UUID)")
        let stale = OpenAPIResponse.error("`If-Match` does not carry the client's current ETag; nothing changed")
        let reused = OpenAPIResponse.error("The `Idempotency-Key` was used with another request")
        func operation(_ method: HTTPMethod, _ pattern: String, _ id: String, _ summary: String, parameters: [JSONValue] = [],
                       body: JSONValue? = nil, _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: id, summary: summary, tag: "organization",
                             access: .apiKey, pathParameters: ["id": uuid], parameters: parameters, requestBody: body,
                             maxBodyBytes: body == nil ? nil : OrganizationClientsAPI.maxBodyBytes, responses: responses)
        }
        return [
            operation(.GET, path, "listClients", "List the company's clients, filtered, sorted and paged", parameters: listParameters,
                      [200: OpenAPIResponse("A page of clients and the total over the filter", schemaRef("ClientPage")),
                       400: invalid, 403: forbidden]),
            operation(.POST, path, "createClient", "Create a client", parameters: [idempotencyKey], body: schemaRef("ClientCreate"),
                      [201: created, 400: invalid, 403: forbidden, 422: reused]),
            operation(.GET, path + "/:id", "getClient", "Get a client", [200: client, 403: forbidden, 404: missing]),
            operation(.PATCH, path + "/:id", "updateClient", "Change some of a client's fields (`null` clears phone or notes)",
                      parameters: [ifMatch, idempotencyKey], body: schemaRef("ClientPatch"),
                      [200: written, 400: invalid, 403: forbidden, 404: missing, 412: stale, 422: reused]),
            operation(.DELETE, path + "/:id", "deleteClient", "Delete a client", parameters: [ifMatch, idempotencyKey],
                      [200: deleted, 400: invalid, 403: forbidden, 404: missing, 412: stale, 422: reused]),
        ]
    }

    private static var listParameters: [JSONValue] {
        [
            parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": 100, "default": 50], "Page size"),
            parameter("offset", in: "query",
                      ["type": "integer", "minimum": 0, "maximum": .int(Int64(OrganizationListParameters.maxOffset)), "default": 0],
                      "Clients to skip"),
            parameter("query", in: "query", text(OrganizationListParameters.queryLimit),
                      "Case-insensitive substring of name or phone (empty: no filter)"),
            parameter("sortBy", in: "query", ["enum": ["name", "phone", "status", "createdAt"], "default": "createdAt"], "Sort field"),
            parameter("sortOrder", in: "query", ["enum": ["asc", "desc"], "default": "asc"], "Sort direction"),
            listParameter("status", ["active", "inactive"], maxItems: OrganizationListParameters.maxStatuses,
                          "Statuses, comma-separated (`active,inactive`); `inactive` covers every status but active"),
        ]
    }

    /// `Idempotency-Key`, as the organization, workspace and care writes take it.
    static var idempotencyKey: JSONValue {
        parameter("Idempotency-Key", in: "header",
                  ["type": "string", "minLength": 1, "maxLength": .int(Int64(OrganizationWriteHeaders.maxIdempotencyKeyLength)),
                   "pattern": "^[!-~]+$", "description": "Printable ASCII without spaces"],
                  "Repeating a write with the same key, method, path and body answers the first response and writes nothing")
    }

    private static var ifMatch: JSONValue {
        parameter("If-Match", in: "header", ["type": "string", "examples": ["\"3\"", "*"]],
                  "The client's current ETag (or `*`); any other value, malformed ones included, is 412 and nothing changes")
    }

    private static let etagHeader: JSONValue = ["description": "The client's version, `\"<n>\"`", "schema": ["type": "string"]]
    static let replayedHeader: JSONValue = ["description": "`true` when this answers a repeated `Idempotency-Key`",
                                                    "schema": ["const": "true"]]
    static let consistencyHeader: JSONValue = [
        "description": "`pending` when the write is stored but reads may not show it yet (`READ_YOUR_WRITES_TIMEOUT_MS` passed)",
        "schema": ["const": "pending"],
    ]

    static var organizationSchemas: [String: JSONValue] {
        let limits = OrganizationClientInput.limits
        let name = text(limits.name, notBlank: true)
        let phone = text(limits.phone, nullable: true)
        let notes = text(limits.notes, nullable: true)
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
                               "status": ["enum": ["active", "inactive", .null], "default": "active",
                                          "description": "`null` is the same as leaving it out: active"]],
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
