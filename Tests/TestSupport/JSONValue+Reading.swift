import JSON

extension JSONValue {
    /// The string at `key`, if this is an object holding one.
    public func string(_ key: String) -> String? { if case .string(let text)? = self[key] { text } else { nil } }

    /// The integer at `key`, if this is an object holding one.
    public func int(_ key: String) -> Int64? { if case .int(let number)? = self[key] { number } else { nil } }

    /// The number at `key` (an integer or not), if this is an object holding one.
    public func number(_ key: String) -> Double? {
        switch self[key] {
        case .int(let number)?: Double(number)
        case .number(let number)?: number
        default: nil
        }
    }

    /// The boolean at `key`, if this is an object holding one.
    public func bool(_ key: String) -> Bool? { if case .bool(let flag)? = self[key] { flag } else { nil } }

    /// The array at `key`, if this is an object holding one; empty otherwise.
    public func array(_ key: String) -> [JSONValue] { if case .array(let items)? = self[key] { items } else { [] } }

    /// This value's members, if it is an object.
    public var objectValue: [String: JSONValue]? { if case .object(let members) = self { members } else { nil } }

    /// This value's elements, if it is an array.
    public var arrayValue: [JSONValue]? { if case .array(let items) = self { items } else { nil } }
}

/// `value`'s JSON text, for exact comparisons and readable failures.
public func jsonText(_ value: JSONValue?) -> String { String(decoding: (value ?? .null).serialized(), as: UTF8.self) }
