import ClientDomain
import HTTP
import InternalAPI

/// The care (NDIS) clients API, part 1 (`CareClientsAPI`), its export
/// (`CareClientsExport`) and the access audit (`CareAuditAPI`).
extension OpenAPIDocument {
    static var careOperations: [OpenAPIOperation] {
        let error = schemaRef("CareError")
        let validation = OpenAPIResponse("Validation failed: `errors` names each bad field (`personalInfo.email`, …)",
                                         schemaRef("CareValidationError"))
        let forbidden = OpenAPIResponse("The role does not allow this, or the client is one of the caller's companies that it "
                                            + "does not reach: `Unauthorized to access this client`", error)
        let notFound = OpenAPIResponse("No such client in the caller's companies: `Client not found`", error)
        let id = careClientId
        let listParameters = [
            parameter("page", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(CareClientsAPI.maxPage))], "Page, from 1"),
            parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(CareClientsAPI.maxLimit))],
                      "Clients per page (default 10)"),
            parameter("search", in: "query", text(ClientFilters.textLimit), "Anywhere in the name, email or NDIS number, ignoring case"),
            parameter("status", in: "query", orEmpty(statusSchema(nullable: false)), "Only this status (empty: any)"),
            parameter("ndisNumber", in: "query", text(ClientFilters.textLimit), "Exactly this NDIS number"),
            parameter("companyId", in: "query", orEmpty(uuid), "Only this company (one of the caller's); empty or left out: all of them"),
        ]
        func operation(_ method: HTTPMethod, _ pattern: String, _ operationId: String, _ summary: String,
                       parameters: [JSONValue] = [], body: JSONValue? = nil, _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: operationId, summary: summary, tag: "care",
                             access: .session, pathParameters: ["id": id], parameters: parameters, requestBody: body,
                             maxBodyBytes: body == nil ? nil : CareClientsAPI.maxBodyBytes, errorSchema: error, responses: responses)
        }
        let details = OpenAPIResponse("`{success, data: profile}`; sections the caller may not see are left out", schemaRef("CareClientEnvelope"))
        let updated = careWritten("`{success, message, data: profile}`; sections the caller may not see are left out",
                                  schemaRef("CareClientEnvelope"))
        let key = [idempotencyKey]
        return [
            operation(.GET, CareClientsAPI.listPath, "listCareClients",
                      "Care clients, newest first (care.read; without care.every_client only the clients related to the caller)",
                      parameters: listParameters, [200: OpenAPIResponse("`{success, data: {clients, pagination}}`", schemaRef("CareClientPage")),
                                                   400: validation, 403: forbidden]),
            operation(.POST, CareClientsAPI.byNDISPath, "findCareClientsByNdis", "The clients with exactly this NDIS number",
                      body: schemaRef("CareByNdis"),
                      [200: OpenAPIResponse("`{success, data: [client]}`", schemaRef("CareClientArray")), 400: validation, 403: forbidden]),
            operation(.GET, CareClientsAPI.detailsPath, "getCareClient", "A care client's profile", [200: details, 403: forbidden, 404: notFound]),
            operation(.GET, CareClientsAPI.mobileDetailsPath, "getCareClientMobile", "A care client's profile (mobile: the same data)",
                      [200: details, 403: forbidden, 404: notFound]),
            operation(.POST, CareClientsAPI.createPath, "createCareClient",
                      "Create a care client (care.write; medicalInfo needs care.medical.write)", parameters: key,
                      body: schemaRef("CareClientCreate"),
                      [201: careWritten("`{success, message: \"Client created successfully\", data: {id, firstName, lastName}}`",
                                        schemaRef("CareClientCreated")),
                       400: validation, 403: forbidden,
                       409: OpenAPIResponse("`A client with this NDIS number already exists`, or the email is taken", error),
                       422: careKeyReused]),
            operation(.PUT, CareClientsAPI.updatePath, "updateCareClient",
                      "Deep-merge a care client's profile: objects merge, arrays replace, null clears", parameters: key,
                      body: schemaRef("CareClientUpdate"),
                      [200: updated, 400: validation, 403: forbidden, 404: notFound,
                       409: OpenAPIResponse("The NDIS number or email belongs to another client", error), 422: careKeyReused]),
            operation(.PUT, CareClientsAPI.mobileUpdatePath, "updateCareClientMobile", "Deep-merge a care client's profile (mobile)",
                      parameters: key, body: schemaRef("CareClientUpdate"),
                      [200: updated, 400: validation, 403: forbidden, 404: notFound,
                       409: OpenAPIResponse("The NDIS number or email belongs to another client", error), 422: careKeyReused]),
            OpenAPIOperation(method: .PUT, pattern: CareClientsAPI.statusPath, operationId: "setCareClientStatus",
                             summary: "Set a care client's status: active, inactive or terminated", tag: "care", access: .session,
                             pathParameters: ["id": id, "status": ["type": "string", "enum": ["active", "inactive", "terminated"]]],
                             parameters: key, errorSchema: error,
                             responses: [200: careWritten("`{success, message: \"Client status updated successfully\"}`",
                                                          schemaRef("CareMessage")),
                                         400: validation, 403: forbidden, 404: notFound, 422: careKeyReused]),
            operation(.GET, CareClientsExport.path, "exportCareClients",
                      "The list's clients as CSV (care.export), streamed page by page; cells starting with =, +, -, @, tab or "
                          + "carriage return are prefixed with '", parameters: listParameters.filter {
                              $0["name"] != "page" && $0["name"] != "limit" },
                      [200: OpenAPIResponse("`clients_export.csv`", ["type": "string"], contentType: "text/csv"), 400: validation,
                       403: forbidden]),
            OpenAPIOperation(method: .GET, pattern: CareAuditAPI.path, operationId: "listCareAccessRecords",
                             summary: "The care access audit, oldest first (care.audit.read)", tag: "care", access: .session,
                             parameters: [
                                parameter("clientId", in: "query", orEmpty(id), "Records naming this client (empty: any)"),
                                parameter("userId", in: "query", orEmpty(uuid), "Records of this user (empty: any)"),
                                parameter("from", in: "query", orEmpty(moment), "From this time (RFC 3339 or YYYY-MM-DD)"),
                                parameter("to", in: "query", orEmpty(moment), "Before this time"),
                                parameter("cursor", in: "query", ["type": "string", "pattern": "^[0-9]{0,18}$"], "The previous page's nextCursor"),
                                parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(CareAuditAPI.maxLimit))],
                                          "Records per page (default 100)"),
                             ], errorSchema: error,
                             responses: [200: OpenAPIResponse("`{success, data: {records, nextCursor}}`", schemaRef("CareAccessPage")),
                                         400: validation, 403: forbidden]),
        ]
    }

    /// A care write's answer: `Idempotent-Replayed: true` when it repeats an earlier one (the
    /// same `Idempotency-Key`), `X-Consistency: pending` when reads may not show it yet.
    static func careWritten(_ description: String, _ schema: JSONValue) -> OpenAPIResponse {
        OpenAPIResponse(description, schema, headers: [
            "Idempotent-Replayed": replayedHeader,
            "X-Consistency": consistencyHeader,
        ])
    }

    /// A care write's `Idempotency-Key` used before with another request (method, path or body).
    static var careKeyReused: OpenAPIResponse {
        OpenAPIResponse("`This idempotency key was already used for a different request`; nothing changed", schemaRef("CareError"))
    }

    static func statusSchema(nullable: Bool) -> JSONValue {
        ["enum": .array(ClientStatus.allCases.map { .string($0.rawValue) } + (nullable ? [.null] : []))]
    }

    static var careSchemas: [String: JSONValue] {
        let nullableText: JSONValue = ["type": ["string", "null"]]
        let listItem: JSONValue = [
            "type": "object",
            "required": ["id", "firstName", "lastName", "email", "ndisNumber", "status", "planManager", "supportCoordinator"],
            "properties": ["id": ["type": "string"], "firstName": ["type": "string"], "lastName": ["type": "string"], "email": nullableText,
                           "ndisNumber": nullableText, "status": statusSchema(nullable: false),
                           "planManager": nullableText, "supportCoordinator": nullableText],
        ]
        let user: JSONValue = ["type": "object", "required": ["id", "name"],
                               "properties": ["id": ["type": "string"], "name": nullableText]]
        // Each section as `CareSchema` checks it: on create its required fields are required;
        // an update is a merge patch, so any may be left out. Sections holding a required
        // field cannot be cleared (null).
        func sections(creating: Bool) -> [String: JSONValue] {
            var sections: [String: JSONValue] = [:]
            for section in CareSchema.objectSections {
                let schema = careSection(section, creating: creating)
                sections[section] = CareSchema.required.contains { $0.section == section } ? schema : orNull(schema)
            }
            let contact: JSONValue = [
                "type": "object", "additionalProperties": false,
                "required": .array(CareSchema.contactFields.map { .string($0.name) }),
                "properties": .object(Dictionary(uniqueKeysWithValues: CareSchema.contactFields.map { ($0.name, careField($0.rule)) })),
            ]
            sections[CareSchema.emergencyContacts] = ["type": ["array", "null"], "maxItems": .int(Int64(CareSchema.maxEmergencyContacts)),
                                                      "items": contact]
            return sections
        }
        return [
            "CareClientPage": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "data": [
                    "type": "object", "required": ["clients", "pagination"],
                    "properties": ["clients": ["type": "array", "items": listItem], "pagination": [
                        "type": "object", "required": ["currentPage", "totalPages", "totalItems", "itemsPerPage"],
                        "properties": ["currentPage": ["type": "integer"], "totalPages": ["type": "integer"],
                                       "totalItems": ["type": "integer"], "itemsPerPage": ["type": "integer"]],
                    ]],
                ]],
            ],
            "CareClientArray": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "data": ["type": "array", "items": listItem]],
            ],
            "CareClientEnvelope": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "message": ["type": "string"], "data": [
                    "type": "object", "required": ["id", "isActive", "status", "createdAt", "updatedAt"],
                    "properties": ["id": ["type": "string"], "isActive": ["type": "boolean"], "status": statusSchema(nullable: false),
                                   "createdAt": ["type": "string", "format": "date-time"], "updatedAt": ["type": "string", "format": "date-time"],
                                   "personalInfo": ["type": "object"], "address": ["type": ["object", "null"]],
                                   "ndisDetails": ["type": ["object", "null"], "properties": ["planManager": user, "supportCoordinator": user]],
                                   "medicalInfo": ["type": ["object", "null"]], "emergencyContacts": ["type": "array"],
                                   "goals": ["type": "array"]],
                ]],
            ],
            "CareClientCreated": [
                "type": "object", "required": ["success", "message", "data"],
                "properties": ["success": ["const": true], "message": ["type": "string"], "data": [
                    "type": "object", "required": ["id", "firstName", "lastName"],
                    "properties": ["id": ["type": "string"], "firstName": ["type": "string"], "lastName": ["type": "string"]],
                ]],
            ],
            "CareMessage": [
                "type": "object", "required": ["success", "message"],
                "properties": ["success": ["const": true], "message": ["type": "string"]],
            ],
            "CareValidationError": [
                "type": "object", "required": ["success", "message", "errors"],
                "properties": ["success": ["const": false], "message": ["const": "Validation failed"],
                               "errors": ["type": "object", "additionalProperties": ["type": "string"]]],
            ],
            "CareClientCreate": [
                "type": "object", "required": ["personalInfo", "ndisDetails"], "additionalProperties": false,
                "properties": .object(sections(creating: true).merging(["companyId": ["type": ["string", "null"], "format": "uuid",
                                                                                      "description": "Required for a caller in several companies"]]) { a, _ in a }),
            ],
            "CareClientUpdate": [
                "type": "object", "additionalProperties": false,
                "description": "A merge patch: objects merge field by field, arrays replace, null clears an optional field",
                "properties": .object(sections(creating: false)),
            ],
            "CareByNdis": [
                "type": "object", "required": ["ndisNumber"], "additionalProperties": false,
                "properties": ["ndisNumber": ["type": "string", "pattern": .string(CareSchema.ndisNumberPattern)],
                               "filters": ["type": ["object", "null"], "additionalProperties": false,
                                           "properties": ["status": statusSchema(nullable: true)]],
                               "companyId": orNull(uuid)],
            ],
            "CareAccessPage": [
                "type": "object", "required": ["success", "data"],
                "properties": ["success": ["const": true], "data": [
                    "type": "object", "required": ["records", "nextCursor"],
                    "properties": ["nextCursor": nullableText, "records": ["type": "array", "items": [
                        "type": "object",
                        "required": ["id", "at", "userId", "roles", "companyId", "clientIds", "sections", "route", "requestId",
                                     "correlationId", "outcome"],
                        "properties": ["id": ["type": "integer"], "at": ["type": "string", "format": "date-time"],
                                       "userId": ["type": "string", "format": "uuid"], "roles": ["type": "array"],
                                       "companyId": nullableText, "clientIds": ["type": "array", "items": ["type": "string"]],
                                       "sections": ["type": "array"], "route": ["type": "string"], "requestId": nullableText,
                                       "correlationId": nullableText, "outcome": ["enum": ["allowed", "denied"]]],
                    ]]],
                ]],
            ],
        ]
    }

    /// A care field's schema: `CareSchema`'s rule for it, in JSON Schema.
    static func careField(_ rule: CareSchema.Rule) -> JSONValue {
        switch rule {
        case .text(let limit): return text(limit, notBlank: true)
        case .email: return clientEmail(ClientFieldLimits().email)
        case .phone: return ["type": "string", "pattern": .string(CareSchema.phonePattern),
                             "description": "Australian: +61 and 9 digits, or 0 and 9 digits (stored +61…)"]
        case .date: return ["type": "string", "format": "date", "pattern": "^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}$"]
        case .choice(let names): return ["enum": .array(names.map { .string($0) })]
        case .postcode: return ["type": "string", "pattern": "^[0-9]{4}$"]
        case .ndisNumber: return ["type": "string", "pattern": .string(CareSchema.ndisNumberPattern),
                                  "description": "Nine digits starting with 43, unique in the company"]
        case .userId: return uuid
        case .textList(let limit): return ["type": "array", "maxItems": .int(Int64(CareSchema.maxListItems)),
                                           "items": text(limit, notBlank: true)]
        }
    }

    /// One object section's schema; with `creating`, its required fields are required. Fields
    /// that may be cleared take `null`.
    static func careSection(_ section: String, creating: Bool) -> JSONValue {
        let required = CareSchema.required.filter { $0.section == section }.map(\.field)
        var properties: [String: JSONValue] = [:]
        for (name, rule) in CareSchema.fields[section] ?? [] {
            properties[name] = required.contains(name) ? careField(rule) : orNull(careField(rule))
        }
        var schema: [String: JSONValue] = ["type": "object", "additionalProperties": false, "properties": .object(properties)]
        if creating, !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }
}
