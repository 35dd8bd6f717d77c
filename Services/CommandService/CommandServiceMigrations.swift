import EventStore
import Postgres

/// The command service's database schema, in order. Applied at start under an advisory lock.
enum CommandServiceMigrations {
    /// The event store's tables, then the command service's own (versions from 100 on, so the
    /// event store can add migrations without colliding). Version 100 (the idempotency keys)
    /// moved to the event store as its version 5, which creates the table where 100 did not.
    static let all: [Migration] = EventStoreSchema.migrations + [
        Migration(version: 101, name: "client numbers and portal credentials", sql: """
        CREATE SEQUENCE client_numbers AS BIGINT START 1;
        CREATE TABLE client_portal_credentials (
            client_id      UUID PRIMARY KEY,
            password_hash  TEXT NOT NULL,
            updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        """),
        Migration(version: 102, name: "temporary portal passwords", sql: """
        ALTER TABLE client_portal_credentials ADD COLUMN temporary BOOLEAN NOT NULL DEFAULT false;
        """),
    ]
}
