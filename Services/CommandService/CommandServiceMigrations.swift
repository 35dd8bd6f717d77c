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
        // Erasure receipts (`ClientErasureStore`), ids only. Version 110, clear of the versions
        // the client keys' table takes (issue 24's sealing, built beside this).
        Migration(version: 110, name: "client erasure receipts", sql: """
        CREATE TABLE client_erasures (
            client_id       UUID PRIMARY KEY,
            tenant_id       UUID NOT NULL,
            client_number   BIGINT UNIQUE,
            requested_at    TIMESTAMPTZ NOT NULL,
            erased_version  BIGINT NOT NULL CHECK (erased_version > 1),
            by_actor_kind   TEXT NOT NULL,
            by_actor_id     TEXT NOT NULL,
            steps           JSONB NOT NULL CHECK (jsonb_typeof(steps) = 'array')
        );
        """),
    ]
}
