import HTTP

/// The leads API, `/api/clients` (`LeadsClientsAPI`).
extension OpenAPIDocument {
    static var leadsOperations: [OpenAPIOperation] {
        let path = LeadsClientsAPI.path
        let message = OpenAPIResponse("Done", schemaRef("LeadsMessage"))
        let invalid = OpenAPIResponse("Bad input; `errors` names every bad field", schemaRef("LeadsError"))
        let forbidden = OpenAPIResponse("The role does not allow this, or `Invalid company ID`", schemaRef("LeadsError"))
        let missing = OpenAPIResponse("No such lead in the caller's companies", schemaRef("LeadsError"))
        let page: [JSONValue] = [
            parameter("page", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(LeadsClientsAPI.maxPage))],
                      "1-based page of 10; without it the whole list (at most 1,000)"),
        ]
        func operation(_ method: HTTPMethod, _ pattern: String, _ id: String, _ summary: String, parameters: [JSONValue] = [],
                       body: JSONValue? = nil, _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: id, summary: summary, tag: "leads", access: .session,
                             parameters: parameters, requestBody: body, responses: responses)
        }
        return [
            operation(.GET, path, "listLeads", "List leads of the caller's companies (admin, sales, finance)",
                      parameters: page + [
                          parameter("query", in: "query", ["type": "string", "maxLength": 200], "Substring of name, email or phone"),
                          parameter("category", in: "query", ["enum": ["active", "not_active"]], "Active or not"),
                          parameter("company", in: "query", ["type": "integer", "minimum": 1], "One company's number"),
                      ],
                      [200: OpenAPIResponse("Leads, newest first", schemaRef("LeadsPage")), 400: invalid, 403: forbidden]),
            operation(.POST, path, "createLead", "Create a lead (admin, sales, finance)", body: schemaRef("LeadCreate"),
                      [201: OpenAPIResponse("Created; `Location: /api/clients/<id>`", schemaRef("LeadsMessage")),
                       400: invalid, 403: forbidden]),
            operation(.GET, path + "/userClients/:id", "listAgentLeads", "Leads assigned to an agent (user number)",
                      parameters: page,
                      [200: OpenAPIResponse("The agent's leads", schemaRef("AgentLeadsPage")), 400: invalid, 403: forbidden]),
            operation(.GET, path + "/:id", "getLead", "Get a lead (agents: only assigned ones)",
                      [200: OpenAPIResponse("The lead under `leads`", schemaRef("LeadEnvelope")), 400: invalid, 403: forbidden,
                       404: missing]),
            operation(.PUT, path + "/:id", "updateLead", "Change a lead; `agents` replaces the list", body: schemaRef("LeadUpdate"),
                      [200: message, 400: invalid, 403: forbidden, 404: missing]),
            operation(.DELETE, path + "/:id", "disableLead", "Soft-disable a lead (isActive false)",
                      [200: message, 403: forbidden, 404: missing]),
            operation(.POST, path + "/:id/change-password", "changeLeadPassword", "Set the lead's portal password",
                      body: ["type": "object", "required": ["password"], "additionalProperties": false,
                             "properties": ["password": ["type": "string", "minLength": 12, "maxLength": 1024]]],
                      [200: message, 400: invalid, 403: forbidden, 404: missing]),
        ]
    }

    static var leadsSchemas: [String: JSONValue] {
        let text: JSONValue = ["type": ["string", "null"]]
        let agents: JSONValue = ["type": "array", "maxItems": 50, "items": [
            "type": "object", "required": ["agentId"],
            "properties": ["agentId": ["type": "integer", "minimum": 1], "agentName": ["type": "string", "maxLength": 200]],
        ]]
        let writable: [String: JSONValue] = [
            "name": ["type": "string", "minLength": 1, "maxLength": 200], "email": ["type": "string", "format": "email"],
            "phone": text, "address": text, "source": text, "agents": agents, "isActive": ["type": "boolean"],
        ]
        return [
            "Lead": [
                "type": "object",
                "properties": [
                    "id": ["type": ["integer", "null"]], "name": text, "email": text, "phone": text, "address": text,
                    "source": text, "isActive": ["type": "boolean"], "createdBy": ["type": ["integer", "null"]],
                    "createdAt": ["type": "string", "format": "date-time"], "updatedAt": ["type": "string", "format": "date-time"],
                    "company": text, "hasJoined": ["type": "boolean"], "agents": agents,
                    "passport": ["type": ["string", "null"], "description": "Where the lead's passport downloads; null without one"],
                ],
            ],
            "LeadCreate": [
                "type": "object", "required": ["name", "email", "company"], "additionalProperties": false,
                "properties": .object(writable.merging(["company": ["type": "integer", "minimum": 1]]) { first, _ in first }),
            ],
            "LeadUpdate": ["type": "object", "additionalProperties": false, "properties": .object(writable)],
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
