/// A one-dimensional array parameter, sent as PostgreSQL's array literal text (`{"a","b",NULL}`).
///
/// Sent untyped: cast it in the statement to the array type it holds (`$1::uuid[]`), so each
/// element is read with that type's input function from its own text form (nil: NULL).
/// Meant for multi-row statements (`unnest($1::uuid[], $2::text[])`) with one parameter per column.
public struct PostgresArray: PostgresEncodable {
    public var elements: [any PostgresEncodable]

    public init(_ elements: [any PostgresEncodable]) {
        self.elements = elements
    }

    public var postgresValue: PostgresValue {
        // Built as UTF-8 bytes: appending scalar by scalar to a String cost the command
        // service a tenth of its CPU on the events' data (`jsonb[]`) alone.
        var literal: [UInt8] = [Self.open]
        for (index, element) in elements.enumerated() {
            if index > 0 { literal.append(Self.comma) }
            guard var text = element.postgresValue.text else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            // Every element quoted, so commas, braces, spaces and the word NULL stay data.
            literal.append(Self.quote)
            text.withUTF8 { bytes in
                literal.reserveCapacity(literal.count + bytes.count + 2)
                var start = 0
                for index in bytes.indices where bytes[index] == Self.quote || bytes[index] == Self.backslash {
                    literal.append(contentsOf: bytes[start..<index])
                    literal.append(Self.backslash)
                    start = index
                }
                literal.append(contentsOf: bytes[start...])
            }
            literal.append(Self.quote)
        }
        literal.append(Self.close)
        return PostgresValue(type: .unspecified, text: String(decoding: literal, as: UTF8.self))
    }

    private static let open = UInt8(ascii: "{")
    private static let close = UInt8(ascii: "}")
    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
}
