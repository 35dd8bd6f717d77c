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
                             requestBody: schemaRef("LoginRequest"),
                             responses: [200: OpenAPIResponse("Logged in", schemaRef("LoginResponse"), headers: ["Set-Cookie": setCookie]),
                                         400: invalid,
                                         401: .error("Wrong email or password, or an inactive user (all answer alike)"),
                                         429: OpenAPIResponse("Too many failed logins for the account from this address, for "
                                                                  + "the address, or for the account from an address that has failed",
                                                              schemaRef("Error"), headers: ["Retry-After": headerRef("Retry-After")]),
                                         503: hashesBusy]),
            OpenAPIOperation(method: .POST, pattern: "/api/auth/logout", operationId: "logout",
                             summary: "Log out: revoke the session token and clear the cookie", tag: "identity", access: .session,
                             responses: [200: OpenAPIResponse("Logged out", schemaRef("Success"), headers: ["Set-Cookie": setCookie])]),
            OpenAPIOperation(method: .GET, pattern: "/api/auth/me", operationId: "me",
                             summary: "The caller, with the permissions its roles grant now", tag: "identity", access: .session,
                             responses: [200: OpenAPIResponse("The caller", schemaRef("MeResponse"))]),

            OpenAPIOperation(method: .POST, pattern: "/api/companies", operationId: "createCompany", summary: "Create a company",
                             tag: "identity", access: .session, requestBody: schemaRef("CompanyCreate"),
                             responses: [201: OpenAPIResponse("Created", envelope("Company")), 400: invalid,
                                         403: forbidden(Permission.companiesManage),
                                         409: .error("A company with this name (ignoring case) exists")]),
            OpenAPIOperation(method: .GET, pattern: "/api/companies", operationId: "listCompanies", summary: "List companies",
                             tag: "identity", access: .session,
                             responses: [200: OpenAPIResponse("Every company", listEnvelope("Company")),
                                         403: forbidden(Permission.companiesManage)]),

            OpenAPIOperation(method: .POST, pattern: "/api/users", operationId: "createUser",
                             summary: "Create a staff user (an admin only in its own companies, with roles it could grant)",
                             tag: "identity", access: .session, requestBody: schemaRef("UserCreate"),
                             responses: [201: OpenAPIResponse("Created", envelope("User")), 400: invalid,
                                         403: .error("Lacks `users.manage`, or grants a role or company beyond the caller's own"),
                                         409: .error("A user with this email (ignoring case) exists"), 503: hashesBusy]),
            OpenAPIOperation(method: .GET, pattern: "/api/users", operationId: "listUsers",
                             summary: "List the users the caller manages", tag: "identity", access: .session,
                             responses: [200: OpenAPIResponse("The users", listEnvelope("User")), 403: forbidden(Permission.usersManage)]),
            OpenAPIOperation(method: .PUT, pattern: "/api/users/:id", operationId: "updateUser",
                             summary: "Change some of a user's fields (those left out stay)", tag: "identity", access: .session,
                             requestBody: schemaRef("UserUpdate"),
                             responses: [200: OpenAPIResponse("The user as changed", envelope("User")), 400: invalid,
                                         403: .error("Lacks `users.manage`, the user or the change goes beyond the caller's roles, "
                                                     + "or it changes the email, password, roles or `active` of a user who also "
                                                     + "belongs to a company that is not the caller's"),
                                         404: .error("No such user among those the caller manages"),
                                         409: .error("A user with this email (ignoring case) exists"), 503: hashesBusy]),

            OpenAPIOperation(method: .POST, pattern: APIKeysAPI.path, operationId: "issueAPIKey",
                             summary: "Issue an API key to a company; the secret is shown this once", tag: "identity",
                             access: .session, requestBody: schemaRef("APIKeyCreate"),
                             responses: [201: OpenAPIResponse("Issued", envelope("IssuedAPIKey")), 400: invalid,
                                         403: forbidden(Permission.apiKeysManage)]),
            OpenAPIOperation(method: .GET, pattern: APIKeysAPI.path, operationId: "listAPIKeys",
                             summary: "List API keys, newest first, revoked ones included, never with secrets", tag: "identity",
                             access: .session,
                             parameters: [parameter("companyId", in: "query", ["type": "string", "format": "uuid"],
                                                    "Only this company's keys")],
                             responses: [200: OpenAPIResponse("The keys", listEnvelope("APIKey")), 400: invalid,
                                         403: forbidden(Permission.apiKeysManage)]),
            OpenAPIOperation(method: .DELETE, pattern: APIKeysAPI.path + "/:id", operationId: "revokeAPIKey",
                             summary: "Revoke an API key (at once in this gateway, within 2 s in others)", tag: "identity",
                             access: .session,
                             responses: [200: OpenAPIResponse("Revoked", schemaRef("Success")),
                                         403: forbidden(Permission.apiKeysManage),
                                         404: .error("No live key with this id")]),
        ]
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
        let uuid: JSONValue = ["type": "string", "format": "uuid"]
        let time: JSONValue = ["type": "string", "format": "date-time"]
        let email: JSONValue = ["type": "string", "format": "email", "maxLength": .int(Int64(User.maxEmailLength))]
        let name: JSONValue = ["type": "string", "minLength": 1, "maxLength": .int(Int64(User.maxNameLength))]
        let password: JSONValue = ["type": "string", "minLength": .int(Int64(User.minPasswordLength)),
                                   "description": .string("At most \(User.maxPasswordLength) bytes")]
        let roles: JSONValue = ["type": "array", "items": ["type": "string"], "uniqueItems": true,
                                "description": "Role names such as `admin`, `sales`, `finance`, `agent`, `super-admin`"]
        let companies: JSONValue = ["type": "array", "items": uuid, "uniqueItems": true]
        let keyPermissions: JSONValue = ["type": "array", "uniqueItems": true,
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
                "type": "object", "required": ["id", "number", "name", "createdAt"],
                "properties": ["id": uuid, "number": ["type": "integer"], "name": ["type": "string"], "createdAt": time],
            ],
            "CompanyCreate": [
                "type": "object", "required": ["name"], "additionalProperties": false,
                "properties": ["name": ["type": "string", "minLength": 1, "maxLength": .int(Int64(Company.maxNameLength))]],
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
