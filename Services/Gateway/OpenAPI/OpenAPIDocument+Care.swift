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
        let id: JSONValue = ["type": "string", "pattern": "^(client_)?[0-9]+$",
                             "description": "The client's number (its id in every staff API), or `client_<number>`"]
        let listParameters = [
            parameter("page", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(CareClientsAPI.maxPage))], "Page, from 1"),
            parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(CareClientsAPI.maxLimit))],
                      "Clients per page (default 10)"),
            parameter("search", in: "query", text(ClientFilters.textLimit), "Anywhere in the name, email or NDIS number, ignoring case"),
            parameter("status", in: "query", statusSchema(nullable: false), "Only this status"),
            parameter("ndisNumber", in: "query", text(ClientFilters.textLimit), "Exactly this NDIS number"),
            parameter("companyId", in: "query", ["type": "string", "format": "uuid"], "Only this company (one of the caller's)"),
        ]
        func operation(_ method: HTTPMethod, _ pattern: String, _ operationId: String, _ summary: String,
                       parameters: [JSONValue] = [], body: JSONValue? = nil, _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: operationId, summary: summary, tag: "care",
                             access: .session, pathParameters: ["id": id], parameters: parameters, requestBody: body,
                             maxBodyBytes: body == nil ? nil : CareClientsAPI.maxBodyBytes, errorSchema: error, responses: responses)
        }
        let details = OpenAPIResponse("`{success, data: profile}`; sections the caller may not see are left out", schemaRef("CareClientEnvelope"))
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
                      "Create a care client (care.write; medicalInfo needs care.medical.write)", body: schemaRef("CareClientCreate"),
                      [201: OpenAPIResponse("`{success, message: \"Client created successfully\", data: {id, firstName, lastName}}`",
                                            schemaRef("CareClientCreated")),
                       400: validation, 403: forbidden,
                       409: OpenAPIResponse("`A client with this NDIS number already exists`, or the email is taken", error)]),
            operation(.PUT, CareClientsAPI.updatePath, "updateCareClient",
                      "Deep-merge a care client's profile: objects merge, arrays replace, null clears", body: schemaRef("CareClientUpdate"),
                      [200: details, 400: validation, 403: forbidden, 404: notFound,
                       409: OpenAPIResponse("The NDIS number or email belongs to another client", error)]),
            operation(.PUT, CareClientsAPI.mobileUpdatePath, "updateCareClientMobile", "Deep-merge a care client's profile (mobile)",
                      body: schemaRef("CareClientUpdate"),
                      [200: details, 400: validation, 403: forbidden, 404: notFound,
                       409: OpenAPIResponse("The NDIS number or email belongs to another client", error)]),
            OpenAPIOperation(method: .PUT, pattern: CareClientsAPI.statusPath, operationId: "setCareClientStatus",
                             summary: "Set a care client's status: active, inactive or terminated", tag: "care", access: .session,
                             pathParameters: ["id": id, "status": ["type": "string", "enum": ["active", "inactive", "terminated"]]], errorSchema: error,
                             responses: [200: OpenAPIResponse("`{success, message: \"Client status updated successfully\"}`",
                                                              schemaRef("CareMessage")),
                                         400: validation, 403: forbidden, 404: notFound]),
            operation(.GET, CareClientsExport.path, "exportCareClients",
                      "The list's clients as CSV (care.export), streamed page by page; cells starting with =, +, -, @, tab or "
                          + "carriage return are prefixed with '", parameters: listParameters.filter {
                              $0["name"] != "page" && $0["name"] != "limit" },
                      [200: OpenAPIResponse("`clients_export.csv`", ["type": "string"], contentType: "text/csv"), 400: validation,
                       403: forbidden]),
            OpenAPIOperation(method: .GET, pattern: CareAuditAPI.path, operationId: "listCareAccessRecords",
                             summary: "The care access audit, oldest first (care.audit.read)", tag: "care", access: .session,
                             parameters: [
                                parameter("clientId", in: "query", id, "Records naming this client"),
                                parameter("userId", in: "query", ["type": "string", "format": "uuid"], "Records of this user"),
                                parameter("from", in: "query", ["type": "string"], "From this time (RFC 3339 or YYYY-MM-DD)"),
                                parameter("to", in: "query", ["type": "string"], "Before this time"),
                                parameter("cursor", in: "query", ["type": "string", "pattern": "^[0-9]+$"], "The previous page's nextCursor"),
                                parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(CareAuditAPI.maxLimit))],
                                          "Records per page (default 100)"),
                             ], errorSchema: error,
                             responses: [200: OpenAPIResponse("`{success, data: {records, nextCursor}}`", schemaRef("CareAccessPage")),
                                         400: validation, 403: forbidden]),
        ]
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
        let sections: [String: JSONValue] = [
            "personalInfo": ["type": "object", "description": .string("firstName, lastName (1–100), email, phone (+61 and 9 digits, or 0 and 9 "
                                 + "digits; stored +61…), dateOfBirth (YYYY-MM-DD, not in the future), gender (female, male, "
                                 + "non-binary, other, prefer-not-to-say)")],
            "address": ["type": ["object", "null"], "description": "street, suburb, state (NSW, VIC, QLD, WA, SA, TAS, ACT, NT), postcode (4 digits)"],
            "ndisDetails": ["type": ["object", "null"], "description": .string("ndisNumber (nine digits starting with 43, unique in the company), "
                                + "planStartDate ≤ planEndDate, planManager and supportCoordinator (user ids of the company's users with those roles)")],
            "medicalInfo": ["type": ["object", "null"], "description": "allergies, conditions, medications: lists of up to 50 texts"],
            "emergencyContacts": ["type": ["array", "null"], "maxItems": 10,
                                  "items": ["type": "object", "required": ["name", "relationship", "phone"]]],
        ]
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
                "properties": .object(sections.merging(["companyId": ["type": "string", "format": "uuid",
                                                                      "description": "Required for a caller in several companies"]]) { a, _ in a }),
            ],
            "CareClientUpdate": [
                "type": "object", "additionalProperties": false,
                "description": "A merge patch: objects merge field by field, arrays replace, null clears an optional field",
                "properties": .object(sections.merging(["personalInfo": ["type": "object"]]) { _, b in b }),
            ],
            "CareByNdis": [
                "type": "object", "required": ["ndisNumber"], "additionalProperties": false,
                "properties": ["ndisNumber": ["type": "string", "pattern": .string(CareSchema.ndisNumberPattern)],
                               "filters": ["type": ["object", "null"], "properties": ["status": statusSchema(nullable: true)]],
                               "companyId": ["type": ["string", "null"], "format": "uuid"]],
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
}
