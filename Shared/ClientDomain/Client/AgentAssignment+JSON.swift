import JSON

extension AgentAssignment {
    /// This assignment as its synthesised `Encodable` conformance writes it.
    public var json: JSONValue {
        .object(["agentId": .int(agentId), "agentName": .string(agentName)])
    }

    /// Reads what `json` writes (the element at `path` of an array), failing as `JSONDecoder` would.
    public init(json value: JSONValue, path: String) throws(JSONFieldError) {
        let object = try JSONObjectReader(value, path: path)
        self.init(agentId: try object.int64("agentId"), agentName: try object.string("agentName"))
    }
}
