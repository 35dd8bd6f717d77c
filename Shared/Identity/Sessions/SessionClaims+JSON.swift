import JSON

/// The claims' JSON, a JWT payload: `sub`, `iat`, `exp`, `jti`, `roles`, `companies` and,
/// when known, `epoch` (keys sorted, as `JSONValue` writes objects).
extension SessionClaims {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "sub": .string(sub), "iat": .int(iat), "exp": .int(exp), "jti": .string(jti),
            "roles": .array(roles.map(JSONValue.string)), "companies": .array(companies.map(JSONValue.string)),
        ]
        if let epoch { object["epoch"] = .int(epoch) }
        return .object(object)
    }

    /// Reads a payload as a `Decodable` conformance would: unknown keys ignored, `epoch`
    /// optional, every other claim required.
    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        func strings(_ key: String) throws(JSONFieldError) -> [String] {
            try JSONObjectReader.array(object.required(key, .array), path: object.path(of: key)) { item, path throws(JSONFieldError) in
                try JSONObjectReader.string(item, path: path)
            }
        }
        self.init(sub: try object.string("sub"), iat: try object.int64("iat"), exp: try object.int64("exp"),
                  jti: try object.string("jti"), roles: try strings("roles"), companies: try strings("companies"),
                  epoch: try object.optionalInt64("epoch"))
    }
}
