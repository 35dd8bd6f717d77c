import Foundation
import JSON

/// A Swift value that can be sent as a statement parameter.
///
/// Conformers produce a `PostgresValue` (type and text form). Optionals send SQL NULL for nil.
/// Refines `Sendable` so parameter arrays can cross to the connection's thread.
public protocol PostgresEncodable: Sendable {
    /// The value's type and text form as PostgreSQL's input functions accept it.
    var postgresValue: PostgresValue { get }
    /// The type sent with a nil of this type inside an Optional; `.unspecified` by default.
    static var postgresNullType: PostgresDataType { get }
}

extension PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .unspecified }
}

extension String: PostgresEncodable {
    /// Sent untyped, so the server reads it as whatever the context needs (text, uuid, jsonb…).
    public var postgresValue: PostgresValue { PostgresValue(type: .unspecified, text: self) }
}

extension Substring: PostgresEncodable {
    public var postgresValue: PostgresValue { PostgresValue(type: .unspecified, text: String(self)) }
}

extension Int: PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .int8 }
    public var postgresValue: PostgresValue { PostgresValue(type: .int8, text: String(self)) }
}

extension Int64: PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .int8 }
    public var postgresValue: PostgresValue { PostgresValue(type: .int8, text: String(self)) }
}

extension Int32: PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .int4 }
    public var postgresValue: PostgresValue { PostgresValue(type: .int4, text: String(self)) }
}

extension Int16: PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .int2 }
    public var postgresValue: PostgresValue { PostgresValue(type: .int2, text: String(self)) }
}

extension Double: PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .float8 }
    public var postgresValue: PostgresValue {
        let text: String
        if isNaN {
            text = "NaN"
        } else if isInfinite {
            text = self < 0 ? "-Infinity" : "Infinity"
        } else {
            text = "\(self)"
        }
        return PostgresValue(type: .float8, text: text)
    }
}

extension Bool: PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .bool }
    public var postgresValue: PostgresValue { PostgresValue(type: .bool, text: self ? "t" : "f") }
}

extension UUID: PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .uuid }
    public var postgresValue: PostgresValue { PostgresValue(type: .uuid, text: lowercasedString) }
}

extension Array: PostgresEncodable where Element == UInt8 {
    public static var postgresNullType: PostgresDataType { .bytea }
    /// Sent as bytea in hex form (`\x0a1b…`).
    public var postgresValue: PostgresValue { PostgresValue(type: .bytea, text: PostgresBytes.hexText(self)) }
}

extension Data: PostgresEncodable {
    public static var postgresNullType: PostgresDataType { .bytea }
    /// Sent as bytea in hex form (`\x0a1b…`).
    public var postgresValue: PostgresValue { PostgresValue(type: .bytea, text: PostgresBytes.hexText(self)) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// SQL NULL for nil; the type stays the wrapped type's so the server need not infer it.
    public var postgresValue: PostgresValue {
        switch self {
        case .some(let value): value.postgresValue
        case .none: PostgresValue(type: Wrapped.postgresNullType, text: nil)
        }
    }

    public static var postgresNullType: PostgresDataType { Wrapped.postgresNullType }
}

/// bytea's hex text form, both ways.
enum PostgresBytes {
    private static let digits = Array("0123456789abcdef".utf8)

    static func hexText(_ bytes: some Collection<UInt8>) -> String {
        var utf8 = [UInt8]()
        utf8.reserveCapacity(2 + bytes.count * 2)
        utf8.append(UInt8(ascii: "\\"))
        utf8.append(UInt8(ascii: "x"))
        for byte in bytes {
            utf8.append(digits[Int(byte >> 4)])
            utf8.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Decodes `\x…` hex text; nil if the text is not in that form.
    static func bytes(fromHex text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"),
              utf8.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
