import JSON

// The care sections' one codec is their JSON: `Codable` (which `ClientProfile`'s and
// `ClientProfileChanges`' synthesised conformances need) goes through `JSONValue` to it.

extension CareProfile: Codable {
    /// The sections as one JSON object.
    public var json: JSONValue { .object(sections) }

    /// Reads sections written by `json`; a value that is not an object is refused.
    public init(json object: JSONObjectReader) throws(JSONFieldError) {
        self.init(sections: object.fields)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONObjectReader(JSONValue(from: decoder)))
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}

extension CarePatch: Codable {
    /// The patch as one JSON object (`null` members clear).
    public var json: JSONValue { .object(sections) }

    public init(json object: JSONObjectReader) throws(JSONFieldError) {
        self.init(sections: object.fields)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONObjectReader(JSONValue(from: decoder)))
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
