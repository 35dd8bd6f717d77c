import EventStore
import Postgres

/// Draws clients' public sequential numbers from the `client_numbers` sequence, on the
/// connection of the create's append (see `ClientNumberSource`).
///
/// A create that fails (a duplicate email, a lost race) leaves a gap; numbers are unique
/// and increasing, not dense.
struct ClientNumbers: ClientNumberSource {
    func next(on connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT nextval('client_numbers')").first!.decode(0, as: Int64.self)
    }

    /// One statement for a whole batch's numbers, in increasing order.
    func next(_ count: Int, on connection: PostgresConnection) throws -> [Int64] {
        try connection.query(Self.batchSQL, [count]).map { try $0.decode(0, as: Int64.self) }
    }

    /// `next(_:on:)`'s statement, waiting on the caller's event loop.
    func next(_ count: Int, pool: PostgresPool, readiness: any PostgresReadiness) async throws -> [Int64] {
        try await pool.query(Self.batchSQL, [count], waitingOn: readiness).map { try $0.decode(0, as: Int64.self) }
    }

    private static let batchSQL = "SELECT nextval('client_numbers') FROM generate_series(1, $1) ORDER BY 1"
}
