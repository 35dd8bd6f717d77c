extension PostgresConnection {
    /// Runs `body` in a transaction on this connection: BEGIN with `isolation`, COMMIT when
    /// `body` returns, ROLLBACK when it throws.
    ///
    /// The BEGIN is not sent on its own: it goes out with `body`'s first statement (in one
    /// pipeline, or in front of a script), which saves a round trip per transaction. A `body`
    /// that runs no statement sends nothing at all.
    ///
    /// If `body` caught a statement's error itself, the transaction is aborted; it is then
    /// rolled back and this throws SQLSTATE 25P02. `PostgresPool.withTransaction` is this on a
    /// connection it lends; call it directly when the connection is already checked out.
    public func transaction<T>(isolation: PostgresPool.IsolationLevel = .readCommitted, _ body: () throws -> T) throws -> T {
        pendingBegin = "BEGIN ISOLATION LEVEL \(isolation.rawValue)"
        let value: T
        do {
            value = try body()
        } catch {
            if pendingBegin != nil {
                pendingBegin = nil
                throw error
            }
            if isConnected && isInTransaction {
                try? executeScript("ROLLBACK")
            }
            throw error
        }
        if pendingBegin != nil {
            pendingBegin = nil
            return value
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
