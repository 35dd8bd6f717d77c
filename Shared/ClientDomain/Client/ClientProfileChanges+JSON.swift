import JSON

extension ClientProfileChanges {
    /// These changes as their `Encodable` conformance writes them (and so as
    /// `InternalJSON.encoder()` and the stored events hold them): an unchanged field left
    /// out, a cleared one `null`.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        func put<Value>(_ key: String, _ change: FieldChange<Value>, _ json: (Value) -> JSONValue) {
            switch change {
            case .unchanged: break
            case .cleared: object[key] = .null
            case .set(let value): object[key] = json(value)
            }
        }
        let texts: [(String, FieldChange<String>)] = [
            ("name", name), ("email", email), ("phone", phone), ("notes", notes), ("address", address), ("source", source),
            ("displayName", displayName), ("username", username), ("bio", bio), ("jobTitle", jobTitle),
            ("companyName", companyName), ("industry", industry), ("website", website), ("location", location),
            ("provider", provider), ("avatar", avatar),
        ]
        for (key, change) in texts { put(key, change, JSONValue.string) }
        if let workspace { object["workspace"] = workspace.json }
        put("agents", agents) { .array($0.map(\.json)) }
        put("accountType", accountType) { .string($0.rawValue) }
        put("plan", plan) { .string($0.rawValue) }
        put("emailVerified", emailVerified, JSONValue.bool)
        put("twoFactorEnabled", twoFactorEnabled, JSONValue.bool)
        if let care { object["care"] = care.json }
        if let status { object["status"] = .string(status.rawValue) }
        return .object(object)
    }

    /// Reads what `json` writes: an absent key is unchanged, `null` clears, a value sets;
    /// fails as `JSONDecoder` would, checking fields in the same order.
    public init(json object: JSONObjectReader) throws(JSONFieldError) {
        func change<Value>(_ key: String,
                           _ read: (JSONValue, String) throws(JSONFieldError) -> Value) throws(JSONFieldError) -> FieldChange<Value> {
            switch object.fields[key] {
            case nil: return .unchanged
            case .null?: return .cleared
            case let value?: return .set(try read(value, object.path(of: key)))
            }
        }
        let text = JSONObjectReader.string
        self.init()
        workspace = try object.optional("workspace").map { value throws(JSONFieldError) in
            try WorkspaceFieldChanges(json: value, path: object.path(of: "workspace"))
        }
        name = try change("name", text)
        email = try change("email", text)
        phone = try change("phone", text)
        notes = try change("notes", text)
        address = try change("address", text)
        source = try change("source", text)
        agents = try change("agents") { value, path throws(JSONFieldError) in
            try JSONObjectReader.array(value, path: path) { item, itemPath throws(JSONFieldError) in
                try AgentAssignment(json: item, path: itemPath)
            }
        }
        displayName = try change("displayName", text)
        username = try change("username", text)
        bio = try change("bio", text)
        jobTitle = try change("jobTitle", text)
        companyName = try change("companyName", text)
        industry = try change("industry", text)
        website = try change("website", text)
        location = try change("location", text)
        accountType = try change("accountType") { value, path throws(JSONFieldError) in
            try JSONObjectReader.parsed(value, path: path, AccountType.init(rawValue:))
        }
        plan = try change("plan") { value, path throws(JSONFieldError) in
            try JSONObjectReader.parsed(value, path: path, Plan.init(rawValue:))
        }
        provider = try change("provider", text)
        emailVerified = try change("emailVerified", JSONObjectReader.bool)
        twoFactorEnabled = try change("twoFactorEnabled", JSONObjectReader.bool)
        avatar = try change("avatar", text)
        care = try object.optionalObject("care").map { reader throws(JSONFieldError) in try CarePatch(json: reader) }
        status = try object.optionalParsed("status", ClientStatus.init(rawValue:))
    }
}
