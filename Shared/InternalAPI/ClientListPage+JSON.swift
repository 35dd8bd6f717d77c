import JSON

extension ClientListPage {
    /// This page's wire text, written without `JSONEncoder`.
    public var internalJSONBytes: [UInt8] {
        JSONWriter.object(capacity: 128 + 512 * data.count) { object in
            object.key("data")
            object.array { array in
                for record in data { record.write(to: &array) }
            }
            object.member("total", Int64(total))
        }
    }

    /// Reads a page without `JSONDecoder`.
    public init(internalJSON value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        let data = try JSONObjectReader.array(object.required("data", .array), path: "data") { item, path throws(JSONFieldError) in
            try ClientRecord(internalJSON: JSONObjectReader(item, path: path))
        }
        self.init(data: data, total: Int(try object.int64("total")))
    }
}
