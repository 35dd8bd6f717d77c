/// The rows a statement returned, copied out of libpq's result, so they outlive the
/// connection and can cross threads.
///
/// Values are kept in their text form and decoded on access with `PostgresRow.decode`.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let storage: Storage

    /// The result's column names, in order.
    public var columnNames: [String] { storage.columnNames }
    /// The result's column types, in order.
    public var columnTypes: [PostgresDataType] { storage.columnTypes }
    /// Rows affected by INSERT/UPDATE/DELETE/COPY…, or the number of rows for SELECT.
    public var affectedRows: Int { storage.affectedRows }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.rowCount }

    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < storage.rowCount, "row index out of range")
        return PostgresRow(storage: storage, row: position)
    }

    init(storage: Storage) { self.storage = storage }

    /// The immutable cells of one result, shared by its rows.
    final class Storage: Sendable {
        let columnNames: [String]
        let columnTypes: [PostgresDataType]
        let rowCount: Int
        let affectedRows: Int
        /// Row-major cells; nil is SQL NULL.
        let cells: [String?]

        init(columnNames: [String], columnTypes: [PostgresDataType], rowCount: Int, affectedRows: Int,
             cells: [String?]) {
            self.columnNames = columnNames
            self.columnTypes = columnTypes
            self.rowCount = rowCount
            self.affectedRows = affectedRows
            self.cells = cells
        }

        static let empty = Storage(columnNames: [], columnTypes: [], rowCount: 0, affectedRows: 0, cells: [])

        func columnIndex(_ name: String) -> Int? { columnNames.firstIndex(of: name) }
    }
}
