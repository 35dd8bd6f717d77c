import ClientDomain
import HTTP

/// The leads API, `/api/clients` (`LeadsClientsAPI`).
extension OpenAPIDocument {
    static var leadsOperations: [OpenAPIOperation] {
        let path = LeadsClientsAPI.path
        let message = OpenAPIResponse("Done", schemaRef("LeadsMessage"))
        let invalid = OpenAPIResponse("Bad input; `errors` names every bad field (an id that is not a number is `Invalid client ID`); "
                                          + "a duplicate email is `Lead with this email already exists`", schemaRef("LeadsError"))
        let forbidden = OpenAPIResponse("The role does not allow this, or `Invalid company ID`", schemaRef("LeadsError"))
        let missing = OpenAPIResponse("No such lead in the caller's companies", schemaRef("LeadsError"))
        let page: [JSONValue] = [
            parameter("page", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(LeadsClientsAPI.maxPage))],
                      "1-based page of 10; without it the whole list (at most 1,000)"),
        ]
        let hashesBusy = OpenAPIResponse("The database or an internal service is unavailable, or every password-hash slot is "
                                             + "taken; retry (after `Retry-After` seconds when given)", schemaRef("LeadsError"),
                                         headers: ["Retry-After": headerRef("Retry-After")])
        func operation(_ method: HTTPMethod, _ pattern: String, _ id: String, _ summary: String, parameters: [JSONValue] = [],
                       body: JSONValue? = nil, _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: id, summary: summary, tag: "leads", access: .session,
                             pathParameters: ["leadId": positiveNumber, "agentId": positiveNumber], parameters: parameters, requestBody: body,
                             maxBodyBytes: body == nil ? nil : LeadsClientsAPI.maxBodyBytes, errorSchema: schemaRef("LeadsError"),
                             responses: responses)
        }
        return [
            operation(.GET, path, "listLeads", "List leads of the caller's companies (admin, sales, finance)",
                      parameters: page + [
                          parameter("query", in: "query", text(LeadsClientsAPI.queryLimit),
                                    "Substring of name, email or phone (empty: no filter)"),
                          parameter("category", in: "query", ["enum": ["active", "not_active"]], "Active or not"),
                          parameter("company", in: "query", positiveNumber, "One company's number"),
                      ],
                      [200: OpenAPIResponse("Leads, newest first", schemaRef("LeadsPage")), 400: invalid, 403: forbidden]),
            operation(.POST, path, "createLead", "Create a lead (admin, sales, finance)", body: schemaRef("LeadCreate"),
                      [201: OpenAPIResponse("Created; `Location: /api/clients/<id>`", schemaRef("LeadsMessage"),
                                            headers: ["Location": ["description": "`/api/clients/<id>`", "schema": ["type": "string"]]]),
                       400: invalid, 403: forbidden]),
            operation(.GET, path + "/userClients/:agentId", "listAgentLeads", "Leads assigned to an agent (user number)",
                      parameters: page,
                      [200: OpenAPIResponse("The agent's leads", schemaRef("AgentLeadsPage")), 400: invalid, 403: forbidden]),
            operation(.GET, path + "/:leadId", "getLead", "Get a lead (agents: only assigned ones)",
                      [200: OpenAPIResponse("The lead under `leads`", schemaRef("LeadEnvelope")), 400: invalid, 403: forbidden,
                       404: missing]),
            operation(.PUT, path + "/:leadId", "updateLead", "Change a lead; `agents` replaces the list", body: schemaRef("LeadUpdate"),
                      [200: message, 400: invalid, 403: forbidden, 404: missing]),
            operation(.DELETE, path + "/:leadId", "disableLead", "Soft-disable a lead (isActive false)",
                      [200: message, 400: invalid, 403: forbidden, 404: missing]),
            operation(.POST, path + "/:leadId/change-password", "changeLeadPassword", "Set the lead's portal password",
                      body: ["type": "object", "required": ["password"], "additionalProperties": false,
                             "properties": ["password": password]],
                      [200: message, 400: invalid, 403: forbidden, 404: missing, 503: hashesBusy]),
        ]
    }

    static var leadsSchemas: [String: JSONValue] {
        let limits = LeadsClientInput.limits
        let shown: JSONValue = ["type": ["string", "null"]]
        let agents: JSONValue = [
            "type": "array", "maxItems": .int(Int64(limits.maxAgents)),
            "description": "Each `agentId` once, the number of an active user of the lead's company",
            "items": [
                "type": "object", "required": ["agentId"], "additionalProperties": false,
                "properties": ["agentId": positiveNumber, "agentName": text(limits.agentName, nullable: true)],
            ],
        ]
        let writable: [String: JSONValue] = [
            "name": text(limits.name, notBlank: true), "email": clientEmail(limits.email, trimmed: spaceSeparators),
            "phone": text(limits.phone, nullable: true), "address": text(limits.address, nullable: true),
            "source": text(limits.source, nullable: true), "isActive": ["type": "boolean"],
        ]
        let shownAgents: JSONValue = ["type": "array", "items": [
            "type": "object", "required": ["agentId", "agentName"],
            "properties": ["agentId": ["type": "integer"], "agentName": ["type": "string"]],
        ]]
        return [
            "Lead": [
                "type": "object",
                "required": ["id", "name", "email", "phone", "address", "source", "isActive", "createdBy", "createdAt",
                             "updatedAt", "company", "hasJoined", "agents"],
                "properties": [
                    "id": ["type": ["integer", "null"]], "name": shown, "email": shown, "phone": shown, "address": shown,
                    "source": shown, "isActive": ["type": "boolean"], "createdBy": ["type": ["integer", "null"]],
                    "createdAt": ["type": "string", "format": "date-time"], "updatedAt": ["type": "string", "format": "date-time"],
                    "company": shown, "hasJoined": ["type": "boolean"], "agents": shownAgents,
                    "passport": ["type": ["string", "null"], "description": "Where the lead's passport downloads; null without one"],
                ],
            ],
            "LeadCreate": [
                "type": "object", "required": ["name", "email", "company"], "additionalProperties": false,
                "description": "`null` leaves `phone`, `address`, `source` or `agents` out",
                "properties": .object(writable.merging(["company": positiveNumber, "agents": orNull(agents)]) { first, _ in first }),
            ],
            "LeadUpdate": [
                "type": "object", "additionalProperties": false,
                "description": "Any subset; `null` clears `phone`, `address`, `source` or `agents`",
                "properties": .object(writable.merging(["agents": orNull(agents)]) { first, _ in first }),
            ],
            "LeadEnvelope": ["type": "object", "required": ["leads"], "properties": ["leads": schemaRef("Lead")]],
            "LeadsPage": [
                "type": "object", "required": ["leads", "totalPages"],
                "properties": ["leads": ["type": "array", "items": schemaRef("Lead")], "totalPages": ["type": "integer"]],
            ],
            "AgentLeadsPage": [
                "type": "object", "required": ["clients", "totalPages"],
                "properties": ["clients": ["type": "array", "items": schemaRef("Lead")], "totalPages": ["type": "integer"]],
            ],
            "LeadsMessage": ["type": "object", "required": ["message"], "properties": ["message": ["type": "string"]]],
            "LeadsError": [
                "type": "object", "required": ["message"],
                "properties": ["message": ["type": "string"], "errors": ["type": "array", "items": schemaRef("FieldIssue")]],
            ],
        ]
    }
}
