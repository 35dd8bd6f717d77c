/// One parameter as it goes to the server: its type and its text form, or SQL NULL.
///
/// Parameters always travel separately from the SQL text (`$1`, `$2`…), in text format.
/// The text must not contain NUL: libpq sends it as a C string, so encoding such a value
/// fails with `PostgresError.Kind.invalidArgument` before anything is sent.
public struct PostgresValue: Sendable, Hashable, PostgresEncodable {
    /// The parameter's type; `.unspecified` lets the server infer it from the statement.
    public var type: PostgresDataType
    /// The text form, or nil for SQL NULL.
    public var text: String?

    public init(type: PostgresDataType, text: String?) {
        self.type = type
        self.text = text
    }

    /// SQL NULL of a type the server infers.
    public static let null = PostgresValue(type: .unspecified, text: nil)

    public var postgresValue: PostgresValue { self }
}
