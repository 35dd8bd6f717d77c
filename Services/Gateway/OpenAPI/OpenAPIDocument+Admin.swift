import ClientDomain
import HTTP
import InternalAPI

/// The admin clients API, `/api/admin/clients` (`AdminClientsAPI`).
extension OpenAPIDocument {
    static var adminOperations: [OpenAPIOperation] {
        let path = AdminClientsAPI.path
        let invalid = OpenAPIResponse("Validation error, a duplicate email or username included; `errors` names every bad field",
                                      schemaRef("AdminError"))
        let forbidden = OpenAPIResponse("Admin privileges required, or a company the caller may not use", schemaRef("AdminError"))
        let missing = OpenAPIResponse("Client not found (also for an id that is not `client_<number>`)", schemaRef("AdminError"))
        let client = OpenAPIResponse("The client", schemaRef("AdminClientEnvelope"))
        let bulk = OpenAPIResponse("Per-item results: an item that fails is in `errors`, the others are done", schemaRef("AdminBulkResult"))
        let listParameters: [JSONValue] = [
            parameter("page", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(AdminListParameters.maxPage)),
                                             "default": 1], "Page"),
            parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": 100, "default": 10], "Page size"),
            parameter("search", in: "query", text(AdminListParameters.textLimit), "Name or email (empty: no filter)"),
            listParameter("status", ClientStatus.allCases.map(\.rawValue), "Statuses, comma-separated"),
            listParameter("plan", Plan.allCases.map(\.rawValue), "Plans, comma-separated"),
            listParameter("accountType", AccountType.allCases.map(\.rawValue), "Account types, comma-separated"),
            parameter("provider", in: "query", text(AdminListParameters.textLimit), "Authentication provider (empty: no filter)"),
        ]
        let dates: [JSONValue] = [
            parameter("createdAfter", in: "query", moment, "RFC 3339 date-time or YYYY-MM-DD (exclusive)"),
            parameter("createdBefore", in: "query", moment, "RFC 3339 date-time or YYYY-MM-DD (exclusive)"),
        ]
        let count: JSONValue = ["type": "integer", "minimum": 0, "maximum": .int(Int64.max)]
        var advanced = listParameters + dates + [
            parameter("sortBy", in: "query", ["enum": ["createdAt", "updatedAt", "name", "email", "company", "totalSubmissions"]],
                      "Sort field"),
            parameter("sortOrder", in: "query", ["enum": ["asc", "desc"], "default": "desc"], "Sort direction"),
            parameter("minSubmissions", in: "query", count, "Minimum submissions (above `maxSubmissions`: no client matches)"),
            parameter("maxSubmissions", in: "query", count, "Maximum submissions"),
        ]
        for name in ["emailDomain", "companySearch", "locationSearch", "industrySearch"] {
            advanced.append(parameter(name, in: "query", text(AdminListParameters.textLimit), "\(name) (empty: no filter)"))
        }
        for name in ["emailVerified", "twoFactorEnabled", "hasAvatar", "hasWebsite", "hasPhone"] {
            advanced.append(parameter(name, in: "query", ["type": "boolean"], name))
        }
        func operation(_ method: HTTPMethod, _ pattern: String, _ id: String, _ summary: String, parameters: [JSONValue] = [],
                       body: JSONValue? = nil, maxBodyBytes: Int = AdminClientsAPI.maxBodyBytes,
                       _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: id, summary: summary, tag: "admin", access: .session,
                             pathParameters: ["clientId": clientId], parameters: parameters, requestBody: body,
                             maxBodyBytes: body == nil ? nil : maxBodyBytes, errorSchema: schemaRef("AdminError"),
                             responses: responses)
        }
        let bulkBody: JSONValue = ["type": "object", "required": ["clients"], "properties": [
            "clients": ["type": "array", "minItems": 1, "maxItems": .int(Int64(AdminClientsAPI.maxBulkItems)), "items": [
                "type": "object", "required": ["id"], "properties": ["id": ["type": "string"]],
                "description": "`id` and, for an update, the fields to change (`AdminClientUpdate`); checked item by item",
            ]],
        ]]
        return [
            operation(.GET, path, "adminListClients", "Paginated clients", parameters: listParameters,
                      [200: OpenAPIResponse("Clients and `meta`", schemaRef("AdminList")), 400: invalid, 403: forbidden]),
            operation(.POST, path, "adminCreateClient", "Create a client (`companyId` names the company when needed)",
                      body: schemaRef("AdminClientCreate"), [200: client, 400: invalid, 403: forbidden]),
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
                      maxBodyBytes: AdminClientsAPI.maxBulkBodyBytes, [200: bulk, 400: invalid, 403: forbidden]),
            operation(.DELETE, path + "/bulk", "adminBulkDelete", "Delete up to 100 clients", body: bulkBody,
                      maxBodyBytes: AdminClientsAPI.maxBulkBodyBytes, [200: bulk, 400: invalid, 403: forbidden]),
            operation(.GET, path + "/:clientId", "adminGetClient", "The complete profile", [200: client, 403: forbidden, 404: missing]),
            operation(.PUT, path + "/:clientId", "adminUpdateClient", "Partial update", body: schemaRef("AdminClientUpdate"),
                      [200: client, 400: invalid, 403: forbidden, 404: missing]),
            operation(.DELETE, path + "/:clientId", "adminDeleteClient", "Permanent delete",
                      [200: OpenAPIResponse("Deleted", schemaRef("AdminEnvelope")), 403: forbidden, 404: missing]),
            operation(.POST, path + "/:clientId/activity", "adminRecordActivity", "Record portal activity (beyond the document)",
                      body: ["type": "object", "required": ["type"], "additionalProperties": false,
                             "properties": ["type": ["enum": ["active", "submission"]]]],
                      [200: client, 400: invalid, 403: forbidden, 404: missing]),
            operation(.PUT, path + "/:clientId/account", "adminSetAccountFlags", "Set account flags (beyond the document)",
                      body: ["type": "object", "minProperties": 1, "additionalProperties": false,
                             "properties": ["emailVerified": ["type": "boolean"], "twoFactorEnabled": ["type": "boolean"],
                                            "avatar": webURL(AdminClientInput.limits.avatar, nullable: true)]],
                      [200: client, 400: invalid, 403: forbidden, 404: missing]),
            operation(.GET, AdminClientExport.path, "adminExportClient",
                      "A client's own data (APP 12): every face, documents, care records, history and access log (needs `clients.export`)",
                      [200: OpenAPIResponse("The export, as an attachment", schemaRef("AdminClientExport"), headers: [
                          "Content-Disposition": ["description": "`attachment; filename=\"client_<number>-export.json\"`",
                                                  "schema": ["type": "string"]],
                       ]),
                       403: OpenAPIResponse("Admin or export privileges required", schemaRef("AdminError")),
                       404: OpenAPIResponse("Client not found: missing, deleted, or of another company", schemaRef("AdminError"))]),
        ] + adminErasureOperations
    }

    /// `POST`/`GET /api/admin/clients/:clientId/erase` (`AdminClientErasureAPI`).
    static var adminErasureOperations: [OpenAPIOperation] {
        let receipt = OpenAPIResponse("The erasure's receipt; `complete` once every step is done or not applicable",
                                      schemaRef("AdminErasureEnvelope"))
        let forbidden = OpenAPIResponse("Admin and erasure privileges (`clients.erase`) required", schemaRef("AdminError"))
        let hex = "[0-9a-fA-F]"
        let id: JSONValue = ["type": "string",
                             "pattern": .string("^(client_[1-9][0-9]{0,18}|\(hex){8}-\(hex){4}-\(hex){4}-\(hex){4}-\(hex){12})$"),
                             "description": "`client_<number>`, or the client's UUID (a client deleted before its erasure)"]
        func operation(_ method: HTTPMethod, _ operationId: String, _ summary: String, _ missing: String) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: AdminClientErasureAPI.path, operationId: operationId, summary: summary,
                             tag: "admin", access: .session, pathParameters: ["clientId": id], parameters: [], requestBody: nil,
                             maxBodyBytes: nil, errorSchema: schemaRef("AdminError"),
                             responses: [200: receipt, 403: forbidden, 404: OpenAPIResponse(missing, schemaRef("AdminError"))])
        }
        return [
            operation(.POST, "adminEraseClient",
                      "Erase a client (beyond the document): every trace of its data; again resumes the steps left",
                      "Client not found in the caller's companies"),
            operation(.GET, "adminClientErasure", "An erasure's receipt (beyond the document)",
                      "No erasure of this client in the caller's companies"),
        ]
    }

    /// `client_<number>`, the number without sign or leading zeros.
    static let clientId: JSONValue = ["type": "string", "pattern": "^client_[1-9][0-9]{0,18}$"]

    static var adminSchemas: [String: JSONValue] {
        let limits = AdminClientInput.limits
        let username: JSONValue = [
            "type": ["string", "null"], "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$",
            "minLength": .int(Int64(limits.usernameLengths.lowerBound)), "maxLength": .int(Int64(limits.usernameLengths.upperBound)),
        ]
        var texts: [String: JSONValue] = ["website": webURL(limits.website, nullable: true), "username": username]
        for (name, _, limit) in AdminClientInput.texts where name != "website" && name != "displayName" {
            texts[name] = text(limit, nullable: true)
        }
        func choice<T: RawRepresentable & CaseIterable>(_ type: T.Type, nullable: Bool) -> JSONValue where T.RawValue == String {
            .object(["enum": .array(type.allCases.map { .string($0.rawValue) } + (nullable ? [.null] : []))])
        }
        var create = texts
        create["email"] = clientEmail(limits.email)
        create["displayName"] = text(limits.displayName, nullable: true, notBlank: true)
        create["accountType"] = choice(AccountType.self, nullable: true)
        create["status"] = choice(ClientStatus.self, nullable: true)
        create["plan"] = choice(Plan.self, nullable: true)
        create["companyId"] = ["anyOf": [uuid, positiveNumber, ["type": "null"]],
                               "description": "The client's company (its id or number); required unless the caller belongs to exactly one"]
        var update = texts
        update["email"] = clientEmail(limits.email)
        update["displayName"] = text(limits.displayName, notBlank: true)
        update["accountType"] = choice(AccountType.self, nullable: false)
        update["status"] = choice(ClientStatus.self, nullable: false)
        update["plan"] = choice(Plan.self, nullable: false)
        return [
            "AdminClientCreate": [
                "type": "object", "required": ["email"], "additionalProperties": false,
                "description": "`null` is the same as leaving a field out",
                "properties": .object(create),
            ],
            "AdminClientUpdate": [
                "type": "object", "additionalProperties": false,
                "description": "Only the fields given change; `null` clears a text field or the username",
                "properties": .object(update),
            ],
            "AdminEnvelope": [
                "type": "object", "required": ["success"],
                "properties": ["success": ["const": true], "data": ["type": "object"], "message": ["type": "string"]],
            ],
            "AdminClientEnvelope": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "data": ["type": "object"], "message": ["type": "string"]],
            ],
            "AdminClientExport": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "data": [
                    "type": "object",
                    "required": ["exportedAt", "client", "faces", "documents", "careRecords", "history", "accessLog"],
                    "properties": [
                        "exportedAt": ["type": "string", "format": "date-time"],
                        "client": ["type": "object", "required": ["id", "number", "companyId", "version"]],
                        "faces": ["type": "object", "required": ["leads", "admin", "organization", "workspace", "care"],
                                  "description": "The client as each API's GET shows it"],
                        "documents": ["type": "array", "items": ["type": "object", "required": [
                            "id", "name", "type", "use", "documentType", "size", "sha256", "attachedAt"]]],
                        "careRecords": ["type": "object", "required": ["goals", "medications", "appointments"]],
                        "history": ["type": "object", "required": ["events", "truncated"], "properties": [
                            "events": ["type": "array", "maxItems": .int(Int64(AdminClientExport.maxHistoryEvents)), "items": [
                                "type": "object", "required": ["type", "version", "occurredAt", "actor", "changes"]]],
                            "truncated": ["type": "boolean"],
                        ]],
                        "accessLog": ["type": "object", "required": ["records", "truncated"], "properties": [
                            "records": ["type": "array", "maxItems": .int(Int64(AdminClientExport.maxAccessRecords))],
                            "truncated": ["type": "boolean"],
                        ]],
                    ],
                ]],
            ],
            "AdminList": [
                "type": "object", "required": ["success", "data", "meta"],
                "properties": ["success": ["const": true], "data": ["type": "object"], "meta": ["type": "object"]],
            ],
            "AdminBulkResult": [
                "type": "object", "required": ["success", "message", "results", "errors", "summary"],
                "properties": ["success": ["const": true], "message": ["type": "string"], "results": ["type": "array"],
                               "errors": ["type": "array"], "summary": ["type": "object"]],
            ],
            "AdminErasureEnvelope": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "data": [
                    "type": "object", "required": ["clientId", "erasedAt", "by", "steps", "complete"],
                    "properties": [
                        "clientId": ["type": "string"], "erasedAt": ["type": "string", "format": "date-time"],
                        "by": ["type": "object", "required": ["kind", "id"],
                               "properties": ["kind": ["type": "string"], "id": ["type": "string"]]],
                        "steps": ["type": "array", "items": [
                            "type": "object", "required": ["step", "state", "at"],
                            "properties": [
                                "step": ["enum": .array(ClientErasure.Step.allCases.map { .string($0.rawValue) })],
                                "state": ["enum": ["pending", "done", "not_applicable"]],
                                "at": ["type": ["string", "null"], "format": "date-time"],
                            ],
                        ]],
                        "complete": ["type": "boolean"],
                    ],
                ]],
            ],
            "AdminError": [
                "type": "object", "required": ["success", "message"],
                "properties": ["success": ["const": false], "message": ["type": "string"], "code": ["type": "string"],
                               "errors": ["type": "array", "items": schemaRef("FieldIssue")]],
            ],
        ]
    }
}
