import ClientDomain
import HTTP
import Identity
import InternalAPI

/// The workspace API: clients (`WorkspaceClientsAPI`) and custom-field definitions
/// (`CustomFieldsAPI`) under `/v1/workspace/{workspaceId}`.
extension OpenAPIDocument {
    static var workspaceOperations: [OpenAPIOperation] {
        let clients = WorkspaceClientsAPI.path
        let fields = CustomFieldsAPI.path
        let etag: JSONValue = ["description": "The client's version, `\"<n>\"`", "schema": ["type": "string"]]
        let replayed: JSONValue = ["description": "`true` when this answers a repeated `Idempotency-Key`", "schema": ["const": "true"]]
        let consistency: JSONValue = [
            "description": "`pending` when the write is stored but reads may not show it yet (`READ_YOUR_WRITES_TIMEOUT_MS` passed)",
            "schema": ["const": "pending"],
        ]
        let location: JSONValue = ["description": "Where the new resource is", "schema": ["type": "string"]]
        let client = OpenAPIResponse("The client", schemaRef("WorkspaceClientEnvelope"), headers: ["ETag": etag])
        let created = OpenAPIResponse("Created: the whole stored client", schemaRef("WorkspaceClientEnvelope"),
                                      headers: ["Location": location, "ETag": etag, "Idempotent-Replayed": replayed,
                                                "X-Consistency": consistency])
        let written = OpenAPIResponse("The whole client as written", schemaRef("WorkspaceClientEnvelope"),
                                      headers: ["ETag": etag, "Idempotent-Replayed": replayed, "X-Consistency": consistency])
        let deleted = OpenAPIResponse("Deleted", nil, headers: ["Idempotent-Replayed": replayed, "X-Consistency": consistency])
        let invalid = OpenAPIResponse.error("Not JSON, a field of the wrong JSON type, a required field missing, an unknown key, "
                                            + "or a bad parameter or header; `details` names every failing field")
        let broken = OpenAPIResponse.error("Well-formed JSON that breaks a rule (an empty name, an unknown contact type, an empty "
                                           + "or misfitting value, not exactly one preferred contact method, a (type, value) twice, "
                                           + "a bad `avatarUrl`, a custom-field rule), or an `Idempotency-Key` used with another "
                                           + "request; `details` names every failing field")
        let taken = OpenAPIResponse.error("Another client of the workspace has this email (the contact method it comes from is named)")
        let forbidden = OpenAPIResponse.error("The caller's roles do not grant the permission the operation needs (named)")
        let noWorkspace = OpenAPIResponse.error("`Workspace not found` (no such company, or not the caller's), or `Client not found`")
        let stale = OpenAPIResponse.error("`If-Match` does not carry the client's current ETag; nothing changed")
        let idempotencyKey = parameter("Idempotency-Key", in: "header",
                                       ["type": "string", "minLength": 1,
                                        "maxLength": .int(Int64(OrganizationWriteHeaders.maxIdempotencyKeyLength)),
                                        "pattern": "^[!-~]+$", "description": "Printable ASCII without spaces"],
                                       "Repeating a write with the same key, method, path and body answers the first response")
        let ifMatch = parameter("If-Match", in: "header", ["type": "string", "examples": ["\"3\"", "*"]],
                                "The client's current ETag (or `*`); any other value is 412 and nothing changes")
        let workspaceId: JSONValue = ["type": "string", "format": "uuid", "description": "The company's id, as `/api/companies` shows it"]
        let fieldKeyParameter: JSONValue = ["type": "string", "pattern": .string(WorkspaceFieldLimits.fieldKeyPattern)]
        func operation(_ method: HTTPMethod, _ pattern: String, _ id: String, _ summary: String, parameters: [JSONValue] = [],
                       body: JSONValue? = nil, maxBodyBytes: Int = WorkspaceClientsAPI.maxBodyBytes,
                       _ responses: [Int: OpenAPIResponse]) -> OpenAPIOperation {
            OpenAPIOperation(method: method, pattern: pattern, operationId: id, summary: summary, tag: "workspace", access: .session,
                             pathParameters: ["workspaceId": workspaceId, "clientId": uuid, "fieldKey": fieldKeyParameter],
                             parameters: parameters, requestBody: body, maxBodyBytes: body == nil ? nil : maxBodyBytes,
                             responses: responses)
        }
        let listParameters: [JSONValue] = [
            parameter("limit", in: "query", ["type": "integer", "minimum": 1, "maximum": .int(Int64(ClientCursorQuery.maxLimit)),
                                             "default": .int(Int64(WorkspaceListParameters.defaultLimit))], "Page size"),
            parameter("cursor", in: "query", ["type": "string"], "The `nextCursor` of the page before (for the same `sort`)"),
            parameter("q", in: "query", text(WorkspaceListParameters.textLimit),
                      "Case-insensitive substring of the name or a contact value; a phone written with separators also "
                      + "matches without them, as phones are stored in E.164 (empty: no filter)"),
            parameter("contactType", in: "query", ["enum": .array(ContactType.allCases.map { .string($0.rawValue) })],
                      "Only clients with a contact method of this type"),
            parameter("sort", in: "query",
                      ["enum": ["name", "-name", "createdAt", "-createdAt", "updatedAt", "-updatedAt"], "default": "createdAt"],
                      "Sort field, `-` for descending (the id breaks ties)"),
        ]
        return [
            operation(.POST, clients, "createWorkspaceClient", "Create a client in the workspace (clients.create)",
                      parameters: [idempotencyKey], body: schemaRef("WorkspaceClientCreate"),
                      [201: created, 400: invalid, 403: forbidden, 404: noWorkspace, 409: taken, 422: broken]),
            operation(.GET, clients, "listWorkspaceClients",
                      "List the workspace's clients by cursor, filtered and sorted (clients.read); `cf.<fieldKey>=<value>` "
                          + "filters by a custom field (at most 20, all must hold)",
                      parameters: listParameters,
                      [200: OpenAPIResponse("A page of clients and where the next starts", schemaRef("WorkspaceClientPage")),
                       400: invalid, 403: forbidden, 404: noWorkspace]),
            operation(.GET, clients + "/:clientId", "getWorkspaceClient", "Get a client (clients.read)",
                      [200: client, 403: forbidden, 404: noWorkspace]),
            operation(.PATCH, clients + "/:clientId", "updateWorkspaceClient",
                      "Change a client (clients.update): contact methods replaced as a whole, custom fields merged by key",
                      parameters: [ifMatch, idempotencyKey], body: schemaRef("WorkspaceClientPatch"),
                      [200: written, 400: invalid, 403: forbidden, 404: noWorkspace, 409: taken, 412: stale, 422: broken]),
            operation(.DELETE, clients + "/:clientId", "deleteWorkspaceClient", "Delete a client (clients.delete)",
                      parameters: [ifMatch, idempotencyKey],
                      [204: deleted, 400: invalid, 403: forbidden, 404: noWorkspace, 412: stale, 422: broken]),
            operation(.GET, fields, "listCustomFields", "The workspace's custom-field definitions, by key (clients.read)",
                      [200: OpenAPIResponse("The definitions", schemaRef("CustomFieldList")), 403: forbidden, 404: noWorkspace]),
            operation(.POST, fields, "createCustomField", "Define a custom field (custom_fields.manage)",
                      body: schemaRef("CustomFieldCreate"), maxBodyBytes: CustomFieldsAPI.maxBodyBytes,
                      [201: OpenAPIResponse("Defined", schemaRef("CustomFieldEnvelope"), headers: ["Location": location]),
                       400: invalid, 403: forbidden, 404: noWorkspace,
                       409: .error("The fieldKey is defined already, or the workspace has \(IdentityStore.maxCustomFieldDefinitions)"),
                       422: .error("A definition rule is broken (an unknown type, options where none belong or none where they "
                                   + "must, an empty or repeated option, an empty label); `details` names each")]),
            operation(.PATCH, fields + "/:fieldKey", "updateCustomField",
                      "Change a definition's label, options or required (custom_fields.manage)",
                      body: schemaRef("CustomFieldPatch"), maxBodyBytes: CustomFieldsAPI.maxBodyBytes,
                      [200: OpenAPIResponse("The definition as changed", schemaRef("CustomFieldEnvelope")), 400: invalid,
                       403: forbidden, 404: .error("`Workspace not found` or `Custom field not found`"),
                       422: .error("A definition rule is broken; `details` names each")]),
            operation(.DELETE, fields + "/:fieldKey", "deleteCustomField",
                      "Delete a definition (custom_fields.manage); clients keep their values, answered as text",
                      [204: OpenAPIResponse("Deleted"), 403: forbidden, 404: .error("`Workspace not found` or `Custom field not found`")]),
        ]
    }

    static var workspaceSchemas: [String: JSONValue] {
        let limits = WorkspaceFieldLimits()
        let time: JSONValue = ["type": "string", "format": "date-time"]
        let separators = "[ ().-]"
        let phone: JSONValue = [
            "type": "string", "maxLength": .int(Int64(PhoneNumber.maxInputLength)),
            "pattern": .string("^\(separators)*(?:\\+|0\(separators)*0)\(separators)*[1-9](?:\(separators)*[0-9]){6,14}\(separators)*$"),
            "description": .string("With its country code: `+` (or `00`), then 7 to 15 digits, the first not 0; spaces, dots, "
                + "hyphens and parentheses anywhere; stored in E.164"),
        ]
        let valueByType: [(JSONValue, JSONValue)] = [
            (["const": "email"], clientEmail(limits.email)),
            (["enum": ["phone", "whatsapp"]], phone),
            (["const": "fax"], text(limits.phone, notBlank: true)),
            (["const": "other"], text(limits.other, notBlank: true)),
        ]
        // One branch per type rather than `if`/`then` on the type: a generator (schemathesis)
        // picks a branch and builds a valid method, where `if`/`then` left it guessing values
        // and discarding most (its filter_too_much health check failed on the create).
        let contactMethod: JSONValue = [
            "anyOf": .array(valueByType.map { type, value in
                ["type": "object", "required": ["type", "value", "isPreferred"], "additionalProperties": false,
                 "properties": ["type": type, "value": value, "isPreferred": ["type": "boolean"]]]
            }),
            "description": "A contact type with a value of its type's form",
        ]
        let contactMethods: JSONValue = [
            "type": "array", "minItems": 1, "maxItems": .int(Int64(limits.maxContactMethods)), "items": contactMethod,
            "contains": ["type": "object", "required": ["isPreferred"], "properties": ["isPreferred": ["const": true]]],
            "minContains": 1, "maxContains": 1,
            "description": .string("Exactly one preferred; the same (type, value) at most once once normalised (emails "
                + "lower-cased, phone and WhatsApp numbers in E.164); answered as stored, in this order"),
        ]
        // Visible ASCII, the first character after `//` none of `#/:?@` (`AdminClientInput.isWebURL`).
        let hostStart = characterClass([0x21...0x22, 0x24...0x2E, 0x30...0x39, 0x3B...0x3E, 0x41...0x7E])
        let avatar: JSONValue = [
            "type": ["string", "null"], "maxLength": .int(Int64(WorkspaceClientInput.maxAvatarBytes)),
            "pattern": .string("^[Hh][Tt][Tt][Pp][Ss]?://\(hostStart)[!-~]*$"),
            "description": "An absolute http or https URL in ASCII (non-ASCII percent-encoded), at most 2,048 bytes; never fetched",
        ]
        let customValue: JSONValue = [
            "anyOf": [
                ["type": "string", "maxLength": .int(Int64(limits.textValue.maxCharacters))],
                ["type": "number"], ["type": "boolean"],
                ["type": "array", "maxItems": .int(Int64(limits.maxOptions)), "items": ["type": "string"]],
            ],
            "description": .string("Checked against the key's definition: text (at most 10,000 bytes; line feed and tab "
                + "allowed), a number, true or false, a date YYYY-MM-DD, one option of a select, an array of distinct options of a "
                + "multiselect. A key without a definition takes text only"),
        ]
        func customFields(removable: Bool) -> JSONValue {
            [
                "type": "array", "maxItems": .int(Int64(limits.maxCustomFields)),
                "items": [
                    "type": "object", "required": ["fieldKey", "value"], "additionalProperties": false,
                    "properties": [
                        "fieldKey": ["type": "string", "pattern": .string(WorkspaceFieldLimits.fieldKeyPattern)],
                        "value": removable ? ["anyOf": [customValue, ["type": "null"]],
                                              "description": "`null` removes the key (not a required one)"] : customValue,
                    ],
                ],
                "description": .string("No fieldKey twice; with the client's other fields at most \(limits.maxCustomFields) keys "
                    + "and \(limits.maxCustomFieldBytes) bytes of keys and text"
                    + (removable ? "; merged by key into the client's" : "; every required field of the workspace must be given")),
            ]
        }
        let name = text(WorkspaceClientInput.nameLimit, notBlank: true)
        let shownValue: JSONValue = ["anyOf": [["type": "string"], ["type": "number"], ["type": "boolean"],
                                               ["type": "array", "items": ["type": "string"]]]]
        let definitionType: JSONValue = ["enum": .array(CustomFieldType.allCases.map { .string($0.rawValue) })]
        let option = text(limits.option, notBlank: true)
        let options: JSONValue = ["type": "array", "maxItems": .int(Int64(limits.maxOptions)), "uniqueItems": true, "items": option]
        let withOptions: JSONValue = ["enum": ["select", "multiselect"]]
        return [
            "WorkspaceContactMethod": [
                "type": "object", "required": ["type", "value", "isPreferred"],
                "properties": ["type": ["enum": .array(ContactType.allCases.map { .string($0.rawValue) })],
                               "value": ["type": "string"], "isPreferred": ["type": "boolean"]],
            ],
            "WorkspaceClient": [
                "type": "object",
                "required": ["id", "name", "avatarUrl", "contactMethods", "customFields", "createdAt", "updatedAt"],
                "properties": [
                    "id": uuid,
                    "name": ["type": ["string", "null"], "description": "null only for a client another API created without one"],
                    "avatarUrl": ["type": ["string", "null"]],
                    "contactMethods": ["type": "array", "items": schemaRef("WorkspaceContactMethod"),
                                       "description": .string("All of them, in their order; for a client another API made, "
                                           + "derived from its email and phone")],
                    "customFields": ["type": "array", "items": [
                        "type": "object", "required": ["fieldKey", "value"],
                        "properties": ["fieldKey": ["type": "string"], "value": shownValue],
                    ], "description": "All of them, by key; typed by the definition, as text without one"],
                    "createdAt": time,
                    "updatedAt": time,
                ],
            ],
            "WorkspaceClientEnvelope": ["type": "object", "required": ["client"], "properties": ["client": schemaRef("WorkspaceClient")]],
            "WorkspaceClientPage": [
                "type": "object", "required": ["clients", "nextCursor"],
                "properties": ["clients": ["type": "array", "items": schemaRef("WorkspaceClient")],
                               "nextCursor": ["type": ["string", "null"], "description": "null on the last page"]],
            ],
            "WorkspaceClientCreate": [
                "type": "object", "required": ["name", "contactMethods"], "additionalProperties": false,
                "properties": ["name": name, "avatarUrl": avatar, "contactMethods": contactMethods,
                               "customFields": orNull(customFields(removable: false))],
            ],
            "WorkspaceClientPatch": [
                "type": "object", "additionalProperties": false,
                "description": "Any subset; `{}` changes nothing and answers the current client",
                "properties": ["name": name, "avatarUrl": avatar, "contactMethods": contactMethods,
                               "customFields": customFields(removable: true)],
            ],
            "CustomField": [
                "type": "object", "required": ["fieldKey", "label", "type", "options", "required", "createdAt", "updatedAt"],
                "properties": ["fieldKey": ["type": "string"], "label": ["type": "string"], "type": definitionType,
                               "options": ["type": "array", "items": ["type": "string"]], "required": ["type": "boolean"],
                               "createdAt": time, "updatedAt": time],
            ],
            "CustomFieldEnvelope": ["type": "object", "required": ["customField"], "properties": ["customField": schemaRef("CustomField")]],
            "CustomFieldList": [
                "type": "object", "required": ["customFields"],
                "properties": ["customFields": ["type": "array", "items": schemaRef("CustomField")]],
            ],
            "CustomFieldCreate": [
                "type": "object", "required": ["fieldKey", "label", "type"], "additionalProperties": false,
                "properties": ["fieldKey": ["type": "string", "pattern": .string(WorkspaceFieldLimits.fieldKeyPattern)],
                               "label": text(limits.label, notBlank: true), "type": definitionType, "options": options,
                               "required": ["type": "boolean", "default": false]],
                "allOf": [[
                    "if": ["properties": ["type": withOptions], "required": ["type"]],
                    "then": ["required": ["options"], "properties": ["options": ["minItems": 1]]],
                    "else": ["properties": ["options": ["maxItems": 0]]],
                ]],
            ],
            "CustomFieldPatch": [
                "type": "object", "additionalProperties": false,
                "description": "Any of label, options (select and multiselect: 1 or more), required",
                "properties": ["label": text(limits.label, notBlank: true), "options": options, "required": ["type": "boolean"]],
            ],
        ]
    }
}
