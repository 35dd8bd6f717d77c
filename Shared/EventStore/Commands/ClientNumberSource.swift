import Postgres

/// Draws the public sequential number of a client being created.
///
/// `ClientCommandHandler` draws it on the connection of the create's append, right before the
/// events are written, so a create takes one checkout of the pool. A number drawn for a create
/// that then fails (a duplicate id, a lost race) is not given back: numbers are unique and
/// increasing, not dense.
public protocol ClientNumberSource: Sendable {
    /// The next number; runs on the append's connection, outside or inside its transaction.
    func next(on connection: PostgresConnection) throws -> Int64
}
