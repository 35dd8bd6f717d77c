import CLibPQ

/// One row of a result as libpq holds it, handed to the closure of
/// `PostgresConnection.forEachRow`: each cell's text form in place, never copied. Valid only
/// inside that call (the result is cleared after it), so it is neither stored nor sent.
public struct PostgresRawRow {
    let result: OpaquePointer
    let row: Int32
    /// The result's number of columns.
    public let columnCount: Int

    /// Cell `column`'s bytes (its text form); nil for SQL NULL.
    public func bytes(_ column: Int) -> UnsafeRawBufferPointer? {
        precondition(column >= 0 && column < columnCount, "column index out of range")
        let field = Int32(column)
        guard PQgetisnull(result, row, field) == 0, let value = PQgetvalue(result, row, field) else { return nil }
        return UnsafeRawBufferPointer(start: value, count: Int(PQgetlength(result, row, field)))
    }
}

extension PostgresConnection {
    /// Runs one statement and hands each of its rows to `body`, in order, as libpq holds them
    /// (`PostgresRawRow`); returns the number of rows. For results too large to copy cell by
    /// cell into `PostgresRows` first: the care export's pages, a million rows a run. Caching
    /// (`prepared`) as `query(_:_:prepared:)`.
    @discardableResult
    public func forEachRow(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = true,
                           _ body: (PostgresRawRow) throws -> Void) throws -> Int {
        try sendPendingBegin()
        let result = try run(sql, parameters.map(\.postgresValue), prepared: prepared)
        defer { PQclear(result) }
        let columns = Int(PQnfields(result))
        let count = PQntuples(result)
        for row in 0..<count {
            try body(PostgresRawRow(result: result, row: row, columnCount: columns))
        }
        return Int(count)
    }
}
