import Postgres

/// Draws clients' public sequential numbers from the `client_numbers` sequence.
///
/// A number is drawn before the create is decided, so a create that fails (a duplicate
/// email, a lost race) leaves a gap; numbers are unique and increasing, not dense.
struct ClientNumbers: Sendable {
    let pool: PostgresPool

    func next() async throws -> Int64 {
        try await pool.query("SELECT nextval('client_numbers')", []).first!.decode(0, as: Int64.self)
    }
}
