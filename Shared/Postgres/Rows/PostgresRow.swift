/// One row of a `PostgresRows`, decoded column by column.
///
/// A column is named by position (0-based) or by name (the first column of that name).
/// Decoding into a non-Optional type fails on SQL NULL; decoding into an Optional, or with
/// `decodeIfPresent`, gives nil. Errors name the column and the types, never the value.
public struct PostgresRow: Sendable {
    let storage: PostgresRows.Storage
    let row: Int

    /// The result's column names, in order.
    public var columnNames: [String] { storage.columnNames }

    /// Whether the column holds SQL NULL.
    public func isNull(_ column: Int) throws -> Bool {
        try cell(column) == nil
    }

    /// The column's raw text form, or nil for SQL NULL.
    public func text(_ column: Int) throws -> String? {
        try cell(column)
    }

    /// Decodes column `column` (0-based) as `type`.
    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        guard let text = try cell(column) else {
            guard let null = T.postgresNullValue else {
                throw failure(column, "column is NULL but \(T.self) cannot hold NULL")
            }
            return null
        }
        return try value(of: text, column, as: type)
    }

    /// Decodes the column named `column` as `type`.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try decode(try index(of: column), as: type)
    }

    /// Decodes column `column` as `type`, or returns nil for SQL NULL.
    ///
    /// Decodes `T` itself rather than going through `Optional`'s conformance: from another
    /// module that path instantiated `Optional<T>`'s metadata and looked up its conditional
    /// conformance on every call, a noticeable share of the search projection's CPU per lookup
    /// (measured: docs/performance.md, design measurements).
    public func decodeIfPresent<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T? {
        guard let text = try cell(column) else { return nil }
        return try value(of: text, column, as: type)
    }

    /// Decodes the column named `column` as `type`, or returns nil for SQL NULL.
    public func decodeIfPresent<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        try decodeIfPresent(try index(of: column), as: type)
    }

    /// `text`, column `column`'s non-NULL cell, as `type`.
    private func value<T: PostgresDecodable>(of text: String, _ column: Int, as type: T.Type) throws -> T {
        let columnType = storage.columnTypes[column]
        guard let value = T(postgresText: text, type: columnType) else {
            throw failure(column, "column of type \(columnType) cannot be decoded as \(T.self)")
        }
        return value
    }

    private func index(of name: String) throws -> Int {
        guard let index = storage.columnIndex(name) else {
            throw PostgresError(.decoding, "no such column in the result", context: ["column": name])
        }
        return index
    }

    private func cell(_ column: Int) throws -> String? {
        let count = storage.columnNames.count
        guard column >= 0 && column < count else {
            throw PostgresError(.decoding, "column index \(column) out of range (the result has \(count) columns)")
        }
        return storage.cells[row * count + column]
    }

    private func failure(_ column: Int, _ message: String) -> PostgresError {
        PostgresError(.decoding, message, context: ["column": storage.columnNames[column]])
    }
}
