/// Typed reading of one parsed JSON object's fields, failing with a `JSONFieldError` that
/// names the field's path.
///
/// Reads as a synthesised `Decodable` conformance does through `JSONDecoder`: unknown keys
/// are ignored, an optional field may be absent or `null`, a required one must be present
/// and not `null`, an integer may be written `1.0` or `1e2`, and nothing else is coerced
/// (no number as a string, no `0`/`1` as a boolean).
public struct JSONObjectReader: Sendable {
    /// Where this object is in the document; empty for the top level.
    public let path: String
    public let fields: [String: JSONValue]

    /// Reads `value`, which must be an object.
    public init(_ value: JSONValue, path: String = "") throws(JSONFieldError) {
        switch value {
        case .object(let fields): self.fields = fields
        case .null: throw JSONFieldError(.null(.object), path: path)
        default: throw JSONFieldError(.wrongType(.object), path: path)
        }
        self.path = path
    }

    /// The path of `key` in this object.
    public func path(of key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The value of a required key: a missing key or `null` fails, the latter naming `expected`.
    public func required(_ key: String, _ expected: JSONFieldError.Expected) throws(JSONFieldError) -> JSONValue {
        switch fields[key] {
        case nil: throw JSONFieldError(.missing, path: path(of: key))
        case .null?: throw JSONFieldError(.null(expected), path: path(of: key))
        case let value?: return value
        }
    }

    /// The value of an optional key; nil when absent or `null`.
    public func optional(_ key: String) -> JSONValue? {
        switch fields[key] {
        case nil, .null?: return nil
        case let value?: return value
        }
    }

    // Each reader tries the expected case first and builds the field's path only to fail:
    // records are read field by field on every request.

    public func string(_ key: String) throws(JSONFieldError) -> String {
        if case .string(let text)? = fields[key] { return text }
        return try Self.string(required(key, .string), path: path(of: key))
    }

    public func optionalString(_ key: String) throws(JSONFieldError) -> String? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let value?: return try Self.string(value, path: path(of: key))
        }
    }

    public func int64(_ key: String) throws(JSONFieldError) -> Int64 {
        if case .int(let number)? = fields[key] { return number }
        return try Self.int64(required(key, .integer), path: path(of: key))
    }

    public func optionalInt64(_ key: String) throws(JSONFieldError) -> Int64? {
        switch fields[key] {
        case nil, .null?: return nil
        case .int(let number)?: return number
        case let value?: return try Self.int64(value, path: path(of: key))
        }
    }

    public func bool(_ key: String) throws(JSONFieldError) -> Bool {
        if case .bool(let flag)? = fields[key] { return flag }
        return try Self.bool(required(key, .boolean), path: path(of: key))
    }

    public func optionalBool(_ key: String) throws(JSONFieldError) -> Bool? {
        switch fields[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let value?: return try Self.bool(value, path: path(of: key))
        }
    }

    /// A string that `parse` turns into a value (a UUID, a date, an enum case); nil from
    /// `parse` is an invalid value.
    public func parsed<T>(_ key: String, _ parse: (String) -> T?) throws(JSONFieldError) -> T {
        if case .string(let text)? = fields[key], let value = parse(text) { return value }
        return try Self.parsed(required(key, .string), path: path(of: key), parse)
    }

    public func optionalParsed<T>(_ key: String, _ parse: (String) -> T?) throws(JSONFieldError) -> T? {
        switch fields[key] {
        case nil, .null?: return nil
        case .string(let text)?:
            if let value = parse(text) { return value }
            return try Self.parsed(.string(text), path: path(of: key), parse)
        case let value?: return try Self.parsed(value, path: path(of: key), parse)
        }
    }

    public func object(_ key: String) throws(JSONFieldError) -> JSONObjectReader {
        try JSONObjectReader(required(key, .object), path: path(of: key))
    }

    public func optionalObject(_ key: String) throws(JSONFieldError) -> JSONObjectReader? {
        guard let value = optional(key) else { return nil }
        return try JSONObjectReader(value, path: path(of: key))
    }

    /// An optional array whose elements `element` reads (given each one's path, `key[i]`).
    public func optionalArray<T>(_ key: String,
                                 _ element: (JSONValue, String) throws(JSONFieldError) -> T) throws(JSONFieldError) -> [T]? {
        guard let value = optional(key) else { return nil }
        return try Self.array(value, path: path(of: key), element)
    }

    // MARK: Single values (also for array elements and partial updates)

    public static func string(_ value: JSONValue, path: String) throws(JSONFieldError) -> String {
        switch value {
        case .string(let text): return text
        case .null: throw JSONFieldError(.null(.string), path: path)
        default: throw JSONFieldError(.wrongType(.string), path: path)
        }
    }

    /// An integer; a number with a fraction or beyond `Int64` is refused as `JSONDecoder`
    /// refuses it (the body "is not valid JSON").
    public static func int64(_ value: JSONValue, path: String) throws(JSONFieldError) -> Int64 {
        switch value {
        case .int(let number): return number
        case .number(let number):
            throw JSONFieldError(.invalidJSON, path: path, detail: "\(path): \(number) is not an Int64")
        case .null: throw JSONFieldError(.null(.integer), path: path)
        default: throw JSONFieldError(.wrongType(.integer), path: path)
        }
    }

    public static func bool(_ value: JSONValue, path: String) throws(JSONFieldError) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .null: throw JSONFieldError(.null(.boolean), path: path)
        default: throw JSONFieldError(.wrongType(.boolean), path: path)
        }
    }

    public static func parsed<T>(_ value: JSONValue, path: String, _ parse: (String) -> T?) throws(JSONFieldError) -> T {
        guard let result = parse(try string(value, path: path)) else {
            throw JSONFieldError(.invalidValue, path: path, detail: "\(path): unexpected value")
        }
        return result
    }

    public static func array<T>(_ value: JSONValue, path: String,
                                _ element: (JSONValue, String) throws(JSONFieldError) -> T) throws(JSONFieldError) -> [T] {
        let values: [JSONValue]
        switch value {
        case .array(let array): values = array
        case .null: throw JSONFieldError(.null(.array), path: path)
        default: throw JSONFieldError(.wrongType(.array), path: path)
        }
        var result: [T] = []
        result.reserveCapacity(values.count)
        for (index, item) in values.enumerated() {
            result.append(try element(item, "\(path)[\(index)]"))
        }
        return result
    }
}
