import JSON

extension ClientVisibility {
    /// This answer's wire shape (`version` left out when nil), built without `JSONEncoder`.
    public var internalJSON: JSONValue {
        var object: [String: JSONValue] = ["visible": .bool(visible), "parked": .bool(parked)]
        if let version { object["version"] = .int(version) }
        return .object(object)
    }

    /// Reads an answer without `JSONDecoder` (`parked` absent: false).
    public init(internalJSON value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        self.init(visible: try object.bool("visible"), version: try object.optionalInt64("version"),
                  parked: try object.optionalBool("parked") ?? false)
    }
}
