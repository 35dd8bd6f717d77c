import EventStore
import Postgres

/// The command service's database schema, in order. Applied at start under an advisory lock.
enum CommandServiceMigrations {
    /// The event store's tables, then the command service's own (versions from 100 on, so the
    /// event store can add migrations without colliding).
    static let all: [Migration] = EventStoreSchema.migrations + [
        Migration(version: 100, name: "idempotency keys", sql: """
        CREATE TABLE idempotency_keys (
            scope         TEXT NOT NULL,
            key           TEXT NOT NULL,
            request_hash  TEXT NOT NULL,
            response      JSONB NOT NULL,
            created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
        """),
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
