import Foundation

/// A json or jsonb value, kept as its raw UTF-8 text.
///
/// Sent as jsonb; the server validates it. Decoding accepts json, jsonb and text columns and
/// does not parse: use `decode(_:)` or `JSONSerialization` on `text` for that.
public struct PostgresJSON: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    /// The JSON document's text.
    public var text: String

    public init(text: String) { self.text = text }

    /// Encodes `value` with `encoder` (a default `JSONEncoder` when not given).
    public init(encoding value: some Encodable, encoder: JSONEncoder = JSONEncoder()) throws {
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the document as `type` with `decoder` (a default `JSONDecoder` when not given).
    public func decode<T: Decodable>(_ type: T.Type, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    public var postgresValue: PostgresValue { PostgresValue(type: .jsonb, text: text) }
    public static var postgresNullType: PostgresDataType { .jsonb }

    public init?(postgresText text: String, type: PostgresDataType) {
        guard type == .jsonb || type == .json || type.isText else { return nil }
        self.text = text
    }
}
