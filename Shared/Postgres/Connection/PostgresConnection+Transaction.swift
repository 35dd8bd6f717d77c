extension PostgresConnection {
    /// Runs `body` in a transaction on this connection: BEGIN with `isolation`, COMMIT when
    /// `body` returns, ROLLBACK when it throws.
    ///
    /// If `body` caught a statement's error itself, the transaction is aborted; it is then
    /// rolled back and this throws SQLSTATE 25P02. `PostgresPool.withTransaction` is this on a
    /// connection it lends; call it directly when the connection is already checked out.
    public func transaction<T>(isolation: PostgresPool.IsolationLevel = .readCommitted, _ body: () throws -> T) throws -> T {
        try executeScript("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let value: T
        do {
            value = try body()
        } catch {
            if isConnected && isInTransaction {
                try? executeScript("ROLLBACK")
            }
            throw error
        }
        if isTransactionAborted {
            try? executeScript("ROLLBACK")
            throw PostgresError(PostgresError.Code(.query, sqlState: "25P02"),
                                "the transaction was aborted by an earlier error and was rolled back")
        }
        try executeScript("COMMIT")
        return value
    }
}
