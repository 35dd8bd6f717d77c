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
        var literal = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { literal.append(",") }
            guard let text = element.postgresValue.text else {
                literal.append("NULL")
                continue
            }
            // Every element quoted, so commas, braces, spaces and the word NULL stay data.
            literal.append("\"")
            for character in text.unicodeScalars {
                if character == "\"" || character == "\\" { literal.append("\\") }
                literal.unicodeScalars.append(character)
            }
            literal.append("\"")
        }
        literal.append("}")
        return PostgresValue(type: .unspecified, text: literal)
    }
}
