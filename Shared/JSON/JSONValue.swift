import Foundation

/// A dynamic JSON value.
///
/// Integral numbers that fit in 64 bits decode as `.int` so identifiers and counters stay
/// exact; other numbers are `.number`. Objects are unordered; serialisation sorts keys.
public enum JSONValue: Sendable, Codable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value of `key` if this is an object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The JSON text, with sorted object keys; non-finite numbers become `null`.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .int(let value): out.append(contentsOf: String(value).utf8)
        case .number(let value):
            if value.isFinite {
                if value == value.rounded(), abs(value) < 1e15 {
                    out.append(contentsOf: String(Int64(value)).utf8)
                } else {
                    out.append(contentsOf: "\(value)".utf8)
                }
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case .string(let value): JSONValue.writeString(value, to: &out)
        case .array(let values):
            out.append(91)
            for (i, value) in values.enumerated() {
                if i > 0 { out.append(44) }
                value.write(to: &out)
            }
            out.append(93)
        case .object(let object):
            out.append(123)
            // Sorting the pairs, not the keys, spares a hash lookup per member.
            for (i, member) in object.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(44) }
                JSONValue.writeString(member.key, to: &out)
                out.append(58)
                member.value.write(to: &out)
            }
            out.append(125)
        }
    }

    static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(34)
        // Most strings need no escape: copy them whole, scanning the string's own storage
        // (iterating `utf8` byte by byte showed in the search projection's CPU per GET;
        // measured: docs/performance.md, design measurements).
        let copied = string.utf8.withContiguousStorageIfAvailable { text in
            guard text.allSatisfy({ $0 >= 32 && $0 != 34 && $0 != 92 }) else { return false }
            out.append(contentsOf: text)
            return true
        }
        if copied == true {
            out.append(34)
            return
        }
        for byte in string.utf8 {
            switch byte {
            case 34: out.append(contentsOf: [92, 34])
            case 92: out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(34)
    }
}
