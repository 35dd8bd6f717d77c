import Postgres

/// The command service's database schema, in order. Applied at start under an advisory lock.
enum CommandServiceMigrations {
    /// None yet: the event store and outbox tables arrive with the client core (issue 3).
    static let all: [Migration] = []
}
