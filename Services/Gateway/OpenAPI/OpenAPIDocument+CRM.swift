import HTTP
import JSON

/// A company's CRM sync settings, `/api/admin/crm` (`AdminCRMAPI`).
extension OpenAPIDocument {
    static var crmOperations: [OpenAPIOperation] {
        let companyId = parameter("companyId", in: "query", ["anyOf": [uuid, ["type": "string", "pattern": "^[1-9][0-9]{0,18}$"]]],
                                  "The company (its id or number); required unless the caller belongs to exactly one")
        let settings = OpenAPIResponse("The company's settings (the token is never answered)", schemaRef("AdminCRMSettingsEnvelope"))
        let invalid = OpenAPIResponse("Validation error: a malformed `companyId`, a `baseUrl` that is not https or resolves to a loopback, link-local or private address, a missing or malformed `accessToken`",
                                      schemaRef("AdminError"))
        let forbidden = OpenAPIResponse("Admin privileges required, or a company the caller may not use", schemaRef("AdminError"))
        func operation(_ method: HTTPMethod, _ id: String, _ summary: String, body: JSONValue? = nil,
                       _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: AdminCRMAPI.path, operationId: id, summary: summary, tag: "admin", access: .session,
                             parameters: [companyId], requestBody: body, maxBodyBytes: body == nil ? nil : AdminCRMAPI.maxBodyBytes,
                             errorSchema: schemaRef("AdminError"), responses: responses)
        }
        return [
            operation(.GET, "adminGetCRMSettings", "A company's CRM sync settings", [200: settings, 400: invalid, 403: forbidden]),
            operation(.PUT, "adminSaveCRMSettings", "Save a company's CRM sync settings (HubSpot); enabling it backfills the company's clients",
                      body: schemaRef("AdminCRMSettingsInput"), [200: settings, 400: invalid, 403: forbidden]),
        ]
    }

    static var crmSchemas: [String: JSONValue] {
        [
            "AdminCRMSettingsInput": [
                "type": "object", "required": ["enabled", "baseUrl"], "additionalProperties": false,
                "properties": [
                    "enabled": ["type": "boolean"],
                    "baseUrl": ["type": "string", "format": "uri", "maxLength": 2048,
                                "description": "The CRM's API address, https (for HubSpot `https://api.hubapi.com`)"],
                    "accessToken": ["type": "string", "minLength": 1, "maxLength": 4096, "pattern": "^[!-~]+$",
                                    "description": "The CRM access token (write-only); left out, the stored one is kept. Required to enable sync the first time"],
                ],
            ],
            "AdminCRMSettingsEnvelope": [
                "type": "object", "required": ["success", "data"],
                "properties": [
                    "success": ["const": true], "message": ["type": "string"],
                    "data": ["type": "object", "required": ["enabled", "baseUrl", "hasAccessToken"], "properties": [
                        "enabled": ["type": "boolean"], "baseUrl": ["type": ["string", "null"]], "hasAccessToken": ["type": "boolean"],
                    ]],
                ],
            ],
        ]
    }
}
