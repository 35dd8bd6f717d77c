import HTTP

extension ClientListPage {
    /// This page as `InternalJSON.encoder()` writes it, built without `JSONEncoder`.
    public var internalJSON: JSONValue {
        .object(["data": .array(data.map(\.internalJSON)), "total": .int(Int64(total))])
    }

    /// Reads a page without `JSONDecoder`, as `InternalJSON.decoder()` would.
    public init(internalJSON value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        let data = try JSONObjectReader.array(object.required("data", .array), path: "data") { item, path throws(JSONFieldError) in
            try ClientRecord(internalJSON: JSONObjectReader(item, path: path))
        }
        self.init(data: data, total: Int(try object.int64("total")))
    }
}
