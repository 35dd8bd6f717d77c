import ClientDomain
import Foundation
import HTTP
import Identity

/// Staff identity: `/api/auth` (`AuthAPI`), `/api/companies` (`CompaniesAPI`), `/api/users`
/// (`UsersAPI`) and `/api/api-keys` (`APIKeysAPI`).
extension OpenAPIDocument {
    static var identityOperations: [OpenAPIOperation] {
        let invalid = OpenAPIResponse.error("Validation failed; `details` names every bad field, unknown fields included")
        func forbidden(_ permission: String) -> OpenAPIResponse {
            .error("The caller's roles do not grant `\(permission)`")
        }
        let hashesBusy = OpenAPIResponse("Every password-hash slot is taken; retry after `Retry-After` seconds", schemaRef("Error"),
                                         headers: ["Retry-After": headerRef("Retry-After")])
        let setCookie: JSONValue = ["description": "The `token` cookie (HttpOnly, SameSite=Lax, Path=/)", "schema": ["type": "string"]]
        return [
            OpenAPIOperation(method: .POST, pattern: "/api/auth/login", operationId: "login",
                             summary: "Log in: a session token, also set as the `token` cookie", tag: "identity", access: .open,
                             requestBody: schemaRef("LoginRequest"), maxBodyBytes: IdentityInput.maxBodyBytes,
                             responses: [200: OpenAPIResponse("Logged in", schemaRef("LoginResponse"), headers: ["Set-Cookie": setCookie]),
                                         400: invalid,
                                         401: .error("Wrong email or password, or an inactive user (all answer alike)"),
                                         429: OpenAPIResponse("Too many failed logins for the account from this address, for "
                                                                  + "the address, or for the account from an address that has failed",
                                                              schemaRef("Error"), headers: ["Retry-After": headerRef("Retry-After")]),
                                         500: .error("An internal error (reported in the logs)"),
                                         503: OpenAPIResponse("The database is unavailable, or every password-hash slot is taken; "
                                                                  + "retry (after `Retry-After` seconds when given)", schemaRef("Error"),
                                                              headers: ["Retry-After": headerRef("Retry-After")])]),
            OpenAPIOperation(method: .POST, pattern: "/api/auth/logout", operationId: "logout",
                             summary: "Log out: revoke the session token and clear the cookie", tag: "identity", access: .session,
                             responses: [200: OpenAPIResponse("Logged out", schemaRef("Success"), headers: ["Set-Cookie": setCookie])]),
            OpenAPIOperation(method: .GET, pattern: "/api/auth/me", operationId: "me",
                             summary: "The caller, with the permissions its roles grant now", tag: "identity", access: .session,
                             responses: [200: OpenAPIResponse("The caller", schemaRef("MeResponse"))]),

            OpenAPIOperation(method: .POST, pattern: "/api/companies", operationId: "createCompany", summary: "Create a company",
                             tag: "identity", access: .session, requestBody: schemaRef("CompanyCreate"),
                             maxBodyBytes: IdentityInput.maxBodyBytes,
                             responses: [201: OpenAPIResponse("Created", envelope("Company")), 400: invalid,
                                         403: forbidden(Permission.companiesManage),
                                         409: .error("A company with this name (ignoring case) exists")]),
            OpenAPIOperation(method: .GET, pattern: "/api/companies", operationId: "listCompanies", summary: "List companies",
                             tag: "identity", access: .session,
                             responses: [200: OpenAPIResponse("Every company", listEnvelope("Company")),
                                         403: forbidden(Permission.companiesManage)]),
            OpenAPIOperation(method: .PATCH, pattern: "/api/companies/:id", operationId: "updateCompany",
                             summary: "Change a company's settings, its name and time zone (those left out stay)",
                             tag: "identity", access: .session, pathParameters: ["id": uuid],
                             requestBody: schemaRef("CompanyUpdate"), maxBodyBytes: IdentityInput.maxBodyBytes,
                             responses: [200: OpenAPIResponse("The company as changed", envelope("Company")), 400: invalid,
                                         403: .error("Lacks both `\(Permission.companiesManage)` and "
                                                     + "`\(Permission.companiesSettings)`"),
                                         404: .error("No such company among those the caller may change (its own companies, "
                                                     + "or every company with `\(Permission.companiesManage)`)"),
                                         409: .error("Another company has this name (ignoring case)")]),

            OpenAPIOperation(method: .POST, pattern: "/api/users", operationId: "createUser",
                             summary: "Create a staff user (an admin only in its own companies, with roles it could grant)",
                             tag: "identity", access: .session, requestBody: schemaRef("UserCreate"),
                             maxBodyBytes: IdentityInput.maxBodyBytes,
                             responses: [201: OpenAPIResponse("Created", envelope("User")), 400: invalid,
                                         403: .error("Lacks `users.manage`, or grants a role or company beyond the caller's own"),
                                         409: .error("A user with this email (ignoring case) exists"), 503: hashesBusy]),
            OpenAPIOperation(method: .GET, pattern: "/api/users", operationId: "listUsers",
                             summary: "List the users the caller manages", tag: "identity", access: .session,
                             responses: [200: OpenAPIResponse("The users", listEnvelope("User")), 403: forbidden(Permission.usersManage)]),
            OpenAPIOperation(method: .PUT, pattern: "/api/users/:id", operationId: "updateUser",
                             summary: "Change some of a user's fields (those left out stay)", tag: "identity", access: .session,
                             pathParameters: ["id": uuid], requestBody: schemaRef("UserUpdate"),
                             maxBodyBytes: IdentityInput.maxBodyBytes,
                             responses: [200: OpenAPIResponse("The user as changed", envelope("User")), 400: invalid,
                                         403: .error("Lacks `users.manage`, the user or the change goes beyond the caller's roles, "
                                                     + "or it changes the email, password, roles or `active` of a user who also "
                                                     + "belongs to a company that is not the caller's"),
                                         404: .error("No such user among those the caller manages"),
                                         409: .error("A user with this email (ignoring case) exists"), 503: hashesBusy]),

            OpenAPIOperation(method: .POST, pattern: APIKeysAPI.path, operationId: "issueAPIKey",
                             summary: "Issue an API key to a company; the secret is shown this once", tag: "identity",
                             access: .session, requestBody: schemaRef("APIKeyCreate"), maxBodyBytes: IdentityInput.maxBodyBytes,
                             responses: [201: OpenAPIResponse("Issued", envelope("IssuedAPIKey")), 400: invalid,
                                         403: forbidden(Permission.apiKeysManage)]),
            OpenAPIOperation(method: .GET, pattern: APIKeysAPI.path, operationId: "listAPIKeys",
                             summary: "List API keys, newest first, revoked ones included, never with secrets", tag: "identity",
                             access: .session,
                             parameters: [parameter("companyId", in: "query", uuid, "Only this company's keys")],
                             responses: [200: OpenAPIResponse("The keys", listEnvelope("APIKey")), 400: invalid,
                                         403: forbidden(Permission.apiKeysManage)]),
            OpenAPIOperation(method: .DELETE, pattern: APIKeysAPI.path + "/:id", operationId: "revokeAPIKey",
                             summary: "Revoke an API key (at once in this gateway, within 2 s in others)", tag: "identity",
                             access: .session, pathParameters: ["id": uuid],
                             responses: [200: OpenAPIResponse("Revoked", schemaRef("Success")),
                                         403: forbidden(Permission.apiKeysManage),
                                         404: .error("No live key with this id")]),
        ]
    }

    /// A text field the identity store keeps trimmed of white space (`IdentityInput.string`):
    /// any white space around it, and within it at most `limit`'s characters, none it refuses.
    /// (A `maxLength` would count the white space too.)
    static func identityText(_ limit: TextLimit, notBlank: Bool = false) -> JSONValue {
        let space = characterClass(trimmedByIdentity)
        let allowed = characterClass(TextLimit.refusedScalars(multiLine: false), negated: true)
        var schema: [String: JSONValue] = [
            "type": "string", "pattern": .string("^\(space)*\(allowed){0,\(limit.maxCharacters)}\(space)*$"),
            "description": .string("Trimmed of white space, at most \(limit.maxCharacters) characters"
                                   + (limit.maxBytes < 4 * limit.maxCharacters ? " and \(limit.maxBytes) bytes of UTF-8" : "")
                                   + "; no control characters or Unicode noncharacters"
                                   + (notBlank ? "; not only white space" : "")),
        ]
        if notBlank { schema["allOf"] = [["pattern": .string(characterClass(trimmedByIdentity, negated: true))]] }
        return .object(schema)
    }

    /// A staff email as `IdentityStore.validEmail` reads it once trimmed, in visible ASCII
    /// (`IdentityInput.email`): a local part, `@`, a domain with a dot neither first nor last;
    /// within `limit`.
    static func identityEmail(_ limit: TextLimit) -> JSONValue {
        let space = characterClass(trimmedByIdentity)
        guard case .object(var schema) = identityText(limit) else { return identityText(limit) }
        schema["allOf"] = [["pattern": .string("^\(space)*\(emailLocalCharacters)+@\(emailLabelCharacters)+"
                                               + "(?:\\.+\(emailLabelCharacters)+)+\(space)*$")]]
        schema["description"] = .string("An email address in ASCII, trimmed of white space: a local part, `@`, a domain with a "
                                         + "dot neither first nor last; at most \(limit.maxCharacters) characters")
        return .object(schema)
    }

    /// `{"data": <schema>}`.
    static func envelope(_ schema: String) -> JSONValue {
        ["type": "object", "required": ["data"], "properties": ["data": schemaRef(schema)]]
    }

    /// `{"data": [<schema>]}`.
    static func listEnvelope(_ schema: String) -> JSONValue {
        ["type": "object", "required": ["data"], "properties": ["data": ["type": "array", "items": schemaRef(schema)]]]
    }

    static var identitySchemas: [String: JSONValue] {
        let time: JSONValue = ["type": "string", "format": "date-time"]
        let emailLimit = IdentityInput.textLimits["email"] ?? TextLimit(characters: User.maxEmailLength)
        let nameLimit = IdentityInput.textLimits["name"] ?? TextLimit(characters: User.maxNameLength)
        let email = identityEmail(emailLimit)
        let name = identityText(nameLimit, notBlank: true)
        let roles: JSONValue = [
            "type": "array", "minItems": 1,
            "items": ["enum": .array([Role.superAdmin, Role.admin, Role.sales, Role.finance, Role.agent].map(JSONValue.string))],
            "description": "Roles (rows of the roles table, which the identity migrations seed); a role given twice counts once",
        ]
        // The names Foundation lists, and UTC: a schema-valid zone is one the route takes.
        let zones = (TimeZone.knownTimeZoneIdentifiers + ["UTC"]).filter(CompanyTimeZone.isKnown)
        let timeZone: JSONValue = [
            "type": "string", "enum": .array(Array(Set(zones)).sorted().map(JSONValue.string)),
            "description": "An IANA time zone name Foundation knows (such as Australia/Sydney); another is 400",
        ]
        let companies: JSONValue = ["type": "array", "items": uuid,
                                    "description": "Ids of existing companies (another is 400); an id given twice counts once"]
        let keyPermissions: JSONValue = ["type": "array", "minItems": 1,
                                         "items": ["enum": .array(APIKeyPermission.all.sorted().map(JSONValue.string))]]
        let userProperties: [String: JSONValue] = [
            "id": uuid, "number": ["type": "integer"], "email": ["type": "string"], "name": ["type": "string"],
            "active": ["type": "boolean"], "roles": ["type": "array", "items": ["type": "string"]],
            "companies": ["type": "array", "items": uuid], "createdAt": time, "updatedAt": time,
        ]
        let userRequired: JSONValue = ["id", "number", "email", "name", "active", "roles", "companies", "createdAt", "updatedAt"]
        let keyProperties: [String: JSONValue] = [
            "id": uuid, "companyId": uuid, "prefix": ["type": "string", "description": "The secret's first characters, for display"],
            "permissions": ["type": "array", "items": ["type": "string"]], "createdAt": time, "revokedAt": ["type": ["string", "null"], "format": "date-time"],
        ]
        let keyRequired: JSONValue = ["id", "companyId", "prefix", "permissions", "createdAt", "revokedAt"]
        var issuedProperties = keyProperties
        issuedProperties["key"] = ["type": "string", "description": "The secret, `ba_` and 43 characters, shown only here"]
        var meProperties = userProperties
        meProperties["permissions"] = ["type": "array", "items": ["type": "string"]]
        return [
            "LoginRequest": [
                "type": "object", "required": ["email", "password"], "additionalProperties": false,
                "description": "Any email or password that is not an account's, of whatever length or characters, is a 401",
                "properties": ["email": ["type": "string"], "password": ["type": "string"]],
            ],
            "LoginResponse": [
                "type": "object", "required": ["token", "user"],
                "properties": ["token": ["type": "string", "description": "An HS256 JWT"], "user": schemaRef("User")],
            ],
            "MeResponse": [
                "type": "object", "required": ["user"],
                "properties": ["user": ["type": "object", "required": userRequired, "properties": .object(meProperties)]],
            ],
            "User": ["type": "object", "required": userRequired, "properties": .object(userProperties)],
            "UserCreate": [
                "type": "object", "required": ["email", "name", "password", "roles"], "additionalProperties": false,
                "description": "`companies` is required unless the caller acts in every company (`companies.manage`)",
                "properties": ["email": email, "name": name, "password": password, "roles": roles, "companies": companies],
            ],
            "UserUpdate": [
                "type": "object", "additionalProperties": false,
                "properties": ["email": email, "name": name, "password": password, "active": ["type": "boolean"],
                               "roles": roles, "companies": companies],
            ],
            "Company": [
                "type": "object", "required": ["id", "number", "name", "createdAt", "timeZone"],
                "properties": ["id": uuid, "number": ["type": "integer"], "name": ["type": "string"], "createdAt": time,
                               "timeZone": ["type": "string", "description": "The IANA time zone of its care appointments' times"]],
            ],
            "CompanyCreate": [
                "type": "object", "required": ["name"], "additionalProperties": false,
                "properties": ["name": name],
            ],
            "CompanyUpdate": [
                "type": "object", "additionalProperties": false,
                "properties": ["name": name, "timeZone": timeZone],
            ],
            "APIKey": ["type": "object", "required": keyRequired, "properties": .object(keyProperties)],
            "IssuedAPIKey": [
                "type": "object", "required": ["id", "companyId", "prefix", "permissions", "createdAt", "revokedAt", "key"],
                "properties": .object(issuedProperties),
            ],
            "APIKeyCreate": [
                "type": "object", "required": ["companyId"], "additionalProperties": false,
                "properties": ["companyId": uuid, "permissions": keyPermissions],
            ],
        ]
    }
}
