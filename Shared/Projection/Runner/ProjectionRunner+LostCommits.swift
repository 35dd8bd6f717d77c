import Postgres

/// The database no longer holds offsets this runner stored: it restarted and lost
/// transactions that had committed without waiting for their WAL flush (a read model's
/// database runs with `synchronous_commit` off, `DATABASE_SYNCHRONOUS_COMMIT`). The batch is
/// not applied; the runner reads the log again from the offsets the database holds, so the
/// lost batches are applied again instead of skipped.
struct ProjectionCommitsLost: Error, CustomStringConvertible {
    var partition: Int32
    var held: Int64
    var stored: Int64

    var description: String {
        "the database lost committed batches (it restarted): partition \(partition) is stored at \(held), this runner stored \(stored); reading again from the stored offsets"
    }
}

extension ProjectionRunner {
    /// Runs `body` in a transaction that stores `nextOffsets`, after checking, on a connection
    /// this runner has not used since it last loaded its offsets, that the database still
    /// holds the offsets it stored. A PostgreSQL crash ends every connection, so every batch
    /// after one checks, including the first on a connection opened before the runner noticed.
    func transaction<T: Sendable>(storing nextOffsets: [Int32: Int64],
                                  _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let projection = configuration.projection
        let result = try await pool.withTransaction { connection in
            let (checked, stored) = self.state.withLock { ($0.checkedConnections.contains(connection.serial), $0.stored) }
            if !checked {
                let held = try ProjectionOffsets.load(projection, on: connection)
                for (partition, offset) in stored.sorted(by: { $0.key < $1.key }) where held[partition, default: 0] < offset {
                    throw ProjectionCommitsLost(partition: partition, held: held[partition, default: 0], stored: offset)
                }
                self.state.withLock { state in
                    // Connections come and go; forgetting them only costs a check each.
                    if state.checkedConnections.count >= 256 { state.checkedConnections.removeAll() }
                    state.checkedConnections.insert(connection.serial)
                }
            }
            return try body(connection)
        }
        state.withLock { state in
            for (partition, offset) in nextOffsets { state.stored[partition] = max(state.stored[partition] ?? 0, offset) }
        }
        return result
    }
}
