import HTTP

/// The admin clients API, `/api/admin/clients` (`AdminClientsAPI`).
extension OpenAPIDocument {
    static var adminOperations: [OpenAPIOperation] {
        let path = AdminClientsAPI.path
        let invalid = OpenAPIResponse("Validation error; `errors` names every bad field", schemaRef("AdminError"))
        let forbidden = OpenAPIResponse("Admin privileges required", schemaRef("AdminError"))
        let missing = OpenAPIResponse("Client not found", schemaRef("AdminError"))
        let client = OpenAPIResponse("The client", schemaRef("AdminClientEnvelope"))
        let bulk = OpenAPIResponse("Per-item results", schemaRef("AdminBulkResult"))
        let listParameters: [JSONValue] = [
            parameter("page", in: "query", ["type": "integer", "minimum": 1, "default": 1], "Page"),
            parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": 100, "default": 10], "Page size"),
            parameter("search", in: "query", ["type": "string", "maxLength": 200], "Name or email"),
            parameter("status", in: "query", ["type": "string"], "active, inactive, suspended, trial (comma list)"),
            parameter("plan", in: "query", ["type": "string"], "free, standard, premium (comma list)"),
            parameter("accountType", in: "query", ["type": "string"], "individual, business, enterprise (comma list)"),
            parameter("provider", in: "query", ["type": "string"], "Authentication provider"),
        ]
        let dates: [JSONValue] = [
            parameter("createdAfter", in: "query", ["type": "string"], "ISO date-time or YYYY-MM-DD (exclusive)"),
            parameter("createdBefore", in: "query", ["type": "string"], "ISO date-time or YYYY-MM-DD (exclusive)"),
        ]
        var advanced = listParameters + dates + [
            parameter("sortBy", in: "query", ["enum": ["createdAt", "updatedAt", "name", "email", "company", "totalSubmissions"]],
                      "Sort field"),
            parameter("sortOrder", in: "query", ["enum": ["asc", "desc"], "default": "desc"], "Sort direction"),
            parameter("minSubmissions", in: "query", ["type": "integer", "minimum": 0], "Minimum submissions"),
            parameter("maxSubmissions", in: "query", ["type": "integer", "minimum": 0], "Maximum submissions"),
        ]
        for name in ["emailDomain", "companySearch", "locationSearch", "industrySearch"] {
            advanced.append(parameter(name, in: "query", ["type": "string", "maxLength": 200], name))
        }
        for name in ["emailVerified", "twoFactorEnabled", "hasAvatar", "hasWebsite", "hasPhone"] {
            advanced.append(parameter(name, in: "query", ["type": "boolean"], name))
        }
        func operation(_ method: HTTPMethod, _ pattern: String, _ id: String, _ summary: String, parameters: [JSONValue] = [],
                       body: JSONValue? = nil, _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: id, summary: summary, tag: "admin", access: .session,
                             parameters: parameters, requestBody: body, responses: responses)
        }
        let bulkBody: JSONValue = ["type": "object", "required": ["clients"], "properties": [
            "clients": ["type": "array", "minItems": 1, "maxItems": 100, "items": ["type": "object", "required": ["id"]]],
        ]]
        return [
            operation(.GET, path, "adminListClients", "Paginated clients", parameters: listParameters,
                      [200: OpenAPIResponse("Clients and `meta`", schemaRef("AdminList")), 400: invalid, 403: forbidden]),
            operation(.POST, path, "adminCreateClient", "Create a client (`companyId` names the company when needed)",
                      body: schemaRef("AdminClientWrite"), [200: client, 400: invalid, 403: forbidden]),
            operation(.GET, path + "/stats", "adminClientStats", "Statistics of the caller's companies",
                      [200: OpenAPIResponse("Statistics", schemaRef("AdminEnvelope")), 403: forbidden]),
            operation(.GET, path + "/dashboard", "adminDashboard", "List, statistics and pagination",
                      parameters: listParameters + dates,
                      [200: OpenAPIResponse("Dashboard", schemaRef("AdminEnvelope")), 400: invalid, 403: forbidden]),
            operation(.GET, path + "/advanced-search", "adminAdvancedSearch", "Multi-filter search with metadata",
                      parameters: advanced,
                      [200: OpenAPIResponse("Results, pagination, searchMetadata", schemaRef("AdminEnvelope")),
                       400: invalid, 403: forbidden]),
            operation(.PUT, path + "/bulk", "adminBulkUpdate", "Update up to 100 clients", body: bulkBody,
                      [200: bulk, 400: invalid, 403: forbidden]),
            operation(.DELETE, path + "/bulk", "adminBulkDelete", "Delete up to 100 clients", body: bulkBody,
                      [200: bulk, 400: invalid, 403: forbidden]),
            operation(.GET, path + "/:clientId", "adminGetClient", "The complete profile", [200: client, 403: forbidden, 404: missing]),
            operation(.PUT, path + "/:clientId", "adminUpdateClient", "Partial update", body: schemaRef("AdminClientWrite"),
                      [200: client, 400: invalid, 403: forbidden, 404: missing]),
            operation(.DELETE, path + "/:clientId", "adminDeleteClient", "Permanent delete",
                      [200: OpenAPIResponse("Deleted", schemaRef("AdminEnvelope")), 403: forbidden, 404: missing]),
            operation(.POST, path + "/:clientId/activity", "adminRecordActivity", "Record portal activity (beyond the document)",
                      body: ["type": "object", "required": ["type"], "properties": ["type": ["enum": ["active", "submission"]]]],
                      [200: client, 400: invalid, 403: forbidden, 404: missing]),
            operation(.PUT, path + "/:clientId/account", "adminSetAccountFlags", "Set account flags (beyond the document)",
                      body: ["type": "object", "properties": ["emailVerified": ["type": "boolean"], "twoFactorEnabled": ["type": "boolean"],
                                                              "avatar": ["type": ["string", "null"], "format": "uri"]]],
                      [200: client, 400: invalid, 403: forbidden, 404: missing]),
        ]
    }

    static var adminSchemas: [String: JSONValue] {
        let text: JSONValue = ["type": ["string", "null"]]
        return [
            "AdminClientWrite": [
                "type": "object",
                "properties": [
                    "email": ["type": "string", "format": "email"], "displayName": text, "username": text, "bio": text,
                    "jobTitle": text, "company": text, "industry": text, "phone": text, "website": text, "location": text,
                    "accountType": ["enum": ["individual", "business", "enterprise"]],
                    "status": ["enum": ["active", "inactive", "suspended", "trial"]],
                    "plan": ["enum": ["free", "standard", "premium"]],
                    "companyId": ["type": ["string", "integer"], "description": "The tenant (create only)"],
                ],
            ],
            "AdminEnvelope": [
                "type": "object", "required": ["success"],
                "properties": ["success": ["type": "boolean"], "data": ["type": "object"], "message": ["type": "string"]],
            ],
            "AdminClientEnvelope": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["type": "boolean"], "data": ["type": "object"], "message": ["type": "string"]],
            ],
            "AdminList": [
                "type": "object", "required": ["success", "data", "meta"],
                "properties": ["success": ["type": "boolean"], "data": ["type": "object"], "meta": ["type": "object"]],
            ],
            "AdminBulkResult": [
                "type": "object", "required": ["success", "message", "results", "errors", "summary"],
                "properties": ["success": ["type": "boolean"], "message": ["type": "string"], "results": ["type": "array"],
                               "errors": ["type": "array"], "summary": ["type": "object"]],
            ],
            "AdminError": [
                "type": "object", "required": ["success", "message"],
                "properties": ["success": ["const": false], "message": ["type": "string"], "code": ["type": "string"],
                               "errors": ["type": "array", "items": schemaRef("FieldIssue")]],
            ],
        ]
    }
}
