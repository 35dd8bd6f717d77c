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

extension PostgresConnection {
    /// Runs `body` inside the current transaction under a savepoint: when `body` throws, what
    /// it wrote is rolled back to the savepoint and the transaction stays usable; when it
    /// returns, the savepoint is released and its writes stay with the transaction.
    ///
    /// Call it inside `transaction(_:)`. A failure to roll back (the connection broke) is
    /// thrown instead of `body`'s error, since the transaction is then lost as a whole.
    public func savepoint<T>(_ name: String = "clientele_savepoint", _ body: () throws -> T) throws -> T {
        precondition(name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x5f }, "savepoint names are a-z and _")
        try executeScript("SAVEPOINT \(name)")
        do {
            let value = try body()
            try executeScript("RELEASE SAVEPOINT \(name)")
            return value
        } catch {
            try executeScript("ROLLBACK TO SAVEPOINT \(name)")
            throw error
        }
    }
}
