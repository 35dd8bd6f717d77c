import JSON

// The workspace fields' one coding: `json` and `init(json:path:)`, as the events, the
// internal requests and the read model hold them. The `Codable` conformances exist only
// because `ClientProfile` and `ClientProfileChanges` synthesise theirs, and go through this
// coding (so the two can never differ).

extension ContactMethod {
    /// `{"isPreferred": …, "type": …, "value": …}`.
    public var json: JSONValue {
        .object(["type": .string(type.rawValue), "value": .string(value), "isPreferred": .bool(isPreferred)])
    }

    public init(json value: JSONValue, path: String) throws(JSONFieldError) {
        let object = try JSONObjectReader(value, path: path)
        self.init(type: try object.parsed("type", ContactType.init(rawValue:)), value: try object.string("value"),
                  isPreferred: try object.bool("isPreferred"))
    }
}

extension CustomFieldValue {
    /// The value as JSON: a string, a number, a boolean or an array of strings.
    public var json: JSONValue {
        switch self {
        case .text(let text): .string(text)
        case .integer(let number): .int(number)
        case .decimal(let number): .number(number)
        case .boolean(let flag): .bool(flag)
        case .options(let options): .array(options.map(JSONValue.string))
        }
    }

    /// Reads what `json` writes (a number as `number(_:)` makes it); anything else is refused.
    public init(json value: JSONValue, path: String) throws(JSONFieldError) {
        switch value {
        case .string(let text): self = .text(text)
        case .int(let number): self = .integer(number)
        case .number(let number):
            guard let stored = CustomFieldValue.number(number) else {
                throw JSONFieldError(.invalidValue, path: path, detail: "\(path): not a finite number")
            }
            self = stored
        case .bool(let flag): self = .boolean(flag)
        case .array:
            self = .options(try JSONObjectReader.array(value, path: path) { item, itemPath throws(JSONFieldError) in
                try JSONObjectReader.string(item, path: itemPath)
            })
        case .null: throw JSONFieldError(.null(.string), path: path)
        case .object: throw JSONFieldError(.wrongType(.string), path: path)
        }
    }
}

extension WorkspaceFields: Codable {
    /// `{"contactMethods": […], "customFields": {key: value}}`, each left out when unset or empty.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let contactMethods { object["contactMethods"] = .array(contactMethods.map(\.json)) }
        if !customFields.isEmpty { object["customFields"] = .object(customFields.mapValues(\.json)) }
        return .object(object)
    }

    public init(json value: JSONValue, path: String) throws(JSONFieldError) {
        let object = try JSONObjectReader(value, path: path)
        let methods = try object.optionalArray("contactMethods") { item, itemPath throws(JSONFieldError) in
            try ContactMethod(json: item, path: itemPath)
        }
        var fields: [String: CustomFieldValue] = [:]
        if let custom = try object.optionalObject("customFields") {
            for (key, item) in custom.fields { fields[key] = try CustomFieldValue(json: item, path: custom.path(of: key)) }
        }
        self.init(contactMethods: methods, customFields: fields)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder), path: "")
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}

extension WorkspaceFieldChanges: Codable {
    /// `{"contactMethods": […], "customFields": {key: value or null}}`, each left out when
    /// it changes nothing.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let contactMethods { object["contactMethods"] = .array(contactMethods.map(\.json)) }
        if !customFields.isEmpty { object["customFields"] = .object(customFields.mapValues { $0?.json ?? .null }) }
        return .object(object)
    }

    public init(json value: JSONValue, path: String) throws(JSONFieldError) {
        let object = try JSONObjectReader(value, path: path)
        let methods = try object.optionalArray("contactMethods") { item, itemPath throws(JSONFieldError) in
            try ContactMethod(json: item, path: itemPath)
        }
        var fields: [String: CustomFieldValue?] = [:]
        if let custom = try object.optionalObject("customFields") {
            for (key, item) in custom.fields {
                if item == .null {
                    fields[key] = .some(nil)
                } else {
                    fields[key] = try CustomFieldValue(json: item, path: custom.path(of: key))
                }
            }
        }
        self.init(contactMethods: methods, customFields: fields)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder), path: "")
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}

extension ClientProfileChanges {
    /// The key `ClientProfileChanges`' coding keeps `workspace` under (beside its `CodingKeys`).
    enum WorkspaceCodingKey: String, CodingKey {
        case workspace
    }
}
