import JSON

extension ClientProfile {
    /// This profile as its synthesised `Encodable` conformance writes it (and so as
    /// `InternalJSON.encoder()` and the stored events hold it): absent optionals left out.
    public var json: JSONValue {
        var profile: [String: JSONValue] = ["status": .string(status.rawValue)]
        if let agents { profile["agents"] = .array(agents.map(\.json)) }
        if let workspace { profile["workspace"] = workspace.json }
        let texts: [(String, String?)] = [
            ("name", name), ("email", email), ("phone", phone), ("notes", notes), ("address", address), ("source", source),
            ("displayName", displayName), ("username", username), ("bio", bio),
            ("jobTitle", jobTitle), ("companyName", companyName), ("industry", industry),
            ("website", website), ("location", location),
            ("accountType", accountType?.rawValue), ("plan", plan?.rawValue),
            ("provider", provider), ("avatar", avatar),
        ]
        for case let (key, text?) in texts { profile[key] = .string(text) }
        if let emailVerified { profile["emailVerified"] = .bool(emailVerified) }
        if let twoFactorEnabled { profile["twoFactorEnabled"] = .bool(twoFactorEnabled) }
        if let care { profile["care"] = care.json }
        return .object(profile)
    }

    /// Reads what `json` writes, failing as `JSONDecoder` would (fields in declaration
    /// order, so the first bad field is the one named).
    public init(json object: JSONObjectReader) throws(JSONFieldError) {
        let name = try object.optionalString("name")
        let email = try object.optionalString("email")
        let phone = try object.optionalString("phone")
        let notes = try object.optionalString("notes")
        let status = try object.parsed("status", ClientStatus.init(rawValue:))
        let address = try object.optionalString("address")
        let source = try object.optionalString("source")
        let agents = try object.optionalArray("agents") { value, path throws(JSONFieldError) in
            try AgentAssignment(json: value, path: path)
        }
        self.init(name: name, email: email, phone: phone, notes: notes, status: status, address: address, source: source,
                  agents: agents)
        workspace = try object.optional("workspace").map { value throws(JSONFieldError) in
            try WorkspaceFields(json: value, path: object.path(of: "workspace"))
        }
        displayName = try object.optionalString("displayName")
        username = try object.optionalString("username")
        bio = try object.optionalString("bio")
        jobTitle = try object.optionalString("jobTitle")
        companyName = try object.optionalString("companyName")
        industry = try object.optionalString("industry")
        website = try object.optionalString("website")
        location = try object.optionalString("location")
        accountType = try object.optionalParsed("accountType", AccountType.init(rawValue:))
        plan = try object.optionalParsed("plan", Plan.init(rawValue:))
        provider = try object.optionalString("provider")
        emailVerified = try object.optionalBool("emailVerified")
        twoFactorEnabled = try object.optionalBool("twoFactorEnabled")
        avatar = try object.optionalString("avatar")
        care = try object.optionalObject("care").map { reader throws(JSONFieldError) in try CareProfile(json: reader) }
    }
}
