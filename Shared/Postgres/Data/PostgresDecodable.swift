import CLibPQ
import Foundation
import JSON

/// A Swift type a result column can be decoded into, from the column's text form.
///
/// The initializer returns nil when the column's type or text does not fit; `PostgresRow`
/// turns that into `PostgresError.Kind.decoding` naming the column and the types (never the
/// value). SQL NULL decodes only into types whose `postgresNullValue` is not nil: Optionals.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value of column type `type` from its text form, or returns nil.
    init?(postgresText text: String, type: PostgresDataType)
    /// What SQL NULL decodes to, or nil when this type cannot hold NULL.
    static var postgresNullValue: Self? { get }
}

extension PostgresDecodable {
    public static var postgresNullValue: Self? { nil }
}

extension String: PostgresDecodable {
    /// Any column's text form, as the server prints it.
    public init?(postgresText text: String, type: PostgresDataType) {
        self = text
    }
}

extension Int: PostgresDecodable {
    public init?(postgresText text: String, type: PostgresDataType) {
        guard type.isInteger || type.isText || type == .numeric, let value = Int(text) else { return nil }
        self = value
    }
}

extension Int64: PostgresDecodable {
    public init?(postgresText text: String, type: PostgresDataType) {
        guard type.isInteger || type.isText || type == .numeric, let value = Int64(text) else { return nil }
        self = value
    }
}

extension Int32: PostgresDecodable {
    public init?(postgresText text: String, type: PostgresDataType) {
        guard type.isInteger || type.isText || type == .numeric, let value = Int32(text) else { return nil }
        self = value
    }
}

extension Int16: PostgresDecodable {
    public init?(postgresText text: String, type: PostgresDataType) {
        guard type.isInteger || type.isText || type == .numeric, let value = Int16(text) else { return nil }
        self = value
    }
}

extension Double: PostgresDecodable {
    public init?(postgresText text: String, type: PostgresDataType) {
        guard type == .float8 || type == .float4 || type == .numeric || type.isInteger || type.isText
        else { return nil }
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Double(text) else { return nil }
            self = value
        }
    }
}

extension Bool: PostgresDecodable {
    public init?(postgresText text: String, type: PostgresDataType) {
        guard type == .bool || type.isText else { return nil }
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

extension UUID: PostgresDecodable {
    /// Decodes the canonical text form PostgreSQL writes (`UUID(canonical:)`).
    public init?(postgresText text: String, type: PostgresDataType) {
        guard type == .uuid || type.isText, let value = UUID(canonical: text) else { return nil }
        self = value
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// Decodes bytea (hex form, or the older escape form).
    public init?(postgresText text: String, type: PostgresDataType) {
        guard type == .bytea else { return nil }
        if let bytes = PostgresBytes.bytes(fromHex: text) {
            self = bytes
            return
        }
        var length = 0
        guard let unescaped = PQunescapeBytea(text, &length) else { return nil }
        defer { PQfreemem(unescaped) }
        self = Array(UnsafeBufferPointer(start: unescaped, count: length))
    }
}

extension Data: PostgresDecodable {
    /// Decodes bytea (hex form, or the older escape form).
    public init?(postgresText text: String, type: PostgresDataType) {
        guard let bytes = [UInt8](postgresText: text, type: type) else { return nil }
        self = Data(bytes)
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init?(postgresText text: String, type: PostgresDataType) {
        guard let value = Wrapped(postgresText: text, type: type) else { return nil }
        self = .some(value)
    }

    /// SQL NULL decodes to nil.
    public static var postgresNullValue: Wrapped?? { .some(.none) }
}
