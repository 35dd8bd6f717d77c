import Postgres

/// Draws the public sequential number of a client being created.
///
/// `AppendBatcher` draws the numbers of a batch's creates together, right before their events
/// are written. A number drawn for a create that then
/// fails (a duplicate id, a lost race) is not given back: numbers are unique and increasing,
/// not dense.
public protocol ClientNumberSource: Sendable {
    /// The next number; runs on the batch's connection, outside its transaction.
    func next(on connection: PostgresConnection) throws -> Int64

    /// The next `count` numbers, increasing, for the creates of one batch of appends (see
    /// `AppendBatcher`); runs on the batch's connection, outside its statement. By default
    /// `next(on:)` `count` times.
    func next(_ count: Int, on connection: PostgresConnection) throws -> [Int64]

    /// The next `count` numbers, drawn on `pool` while the caller's task waits on
    /// `readiness` (an HTTP event loop) rather than on a pool thread. By default
    /// `next(_:on:)` on a pool connection.
    func next(_ count: Int, pool: PostgresPool, readiness: any PostgresReadiness) async throws -> [Int64]
}

extension ClientNumberSource {
    public func next(_ count: Int, on connection: PostgresConnection) throws -> [Int64] {
        try (0..<count).map { _ in try next(on: connection) }
    }

    public func next(_ count: Int, pool: PostgresPool, readiness: any PostgresReadiness) async throws -> [Int64] {
        try await pool.withConnection { try self.next(count, on: $0) }
    }
}
