import Postgres

/// The command service's tables: the event store, its outbox, unique claims, idempotency
/// records, the relay's lease, and the republishes of the store into the events topic.
///
/// `events` is append-only; `(stream_id, stream_version)` is unique, which is the optimistic
/// concurrency check: two writers that read the same version cannot both append after it.
/// `outbox` holds the positions not yet published; a row is deleted once Kafka acknowledged it.
/// `unique_claims` enforces invariants such as one email per tenant across concurrent writers.
/// `idempotency_keys` holds the answers recorded with the events (`IdempotencyRecord`).
/// `log_republishes` holds one row per republish of the whole store (see `LogRepublish`); its
/// highest `epoch` is the log epoch every record the relay sends carries. `client_keys` holds
/// each client stream's data key wrapped by the master key (`ClientKeyStore`), made in the
/// transaction of the stream's first sealed append; a shredded key keeps its row, with
/// `wrapped_key` NULL and `erased_at` set.
public enum EventStoreSchema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "event store, outbox, unique claims, relay lease", sql: """
        CREATE TABLE events (
            position        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id        UUID NOT NULL UNIQUE,
            stream_id       UUID NOT NULL,
            stream_version  BIGINT NOT NULL CHECK (stream_version > 0),
            tenant_id       UUID NOT NULL,
            type            TEXT NOT NULL,
            schema_version  INT NOT NULL CHECK (schema_version > 0),
            occurred_at     TIMESTAMPTZ NOT NULL,
            actor_kind      TEXT NOT NULL,
            actor_id        TEXT NOT NULL,
            correlation_id  TEXT NOT NULL,
            causation_id    TEXT,
            data            JSONB NOT NULL,
            UNIQUE (stream_id, stream_version)
        );
        CREATE TABLE outbox (
            position     BIGINT PRIMARY KEY REFERENCES events (position),
            enqueued_at  TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE unique_claims (
            tenant_id  UUID NOT NULL,
            kind       TEXT NOT NULL,
            value      TEXT NOT NULL,
            stream_id  UUID NOT NULL,
            PRIMARY KEY (tenant_id, kind, value)
        );
        CREATE INDEX unique_claims_by_stream ON unique_claims (stream_id);
        CREATE TABLE relay_lease (
            name         TEXT PRIMARY KEY,
            holder       TEXT NOT NULL,
            expires_at   TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE published_offsets (
            topic       TEXT NOT NULL,
            partition   INT NOT NULL,
            next_offset BIGINT NOT NULL,
            PRIMARY KEY (topic, partition)
        );
        """),
        Migration(version: 2, name: "events keep the traceparent of the work that wrote them", sql: """
        ALTER TABLE events ADD COLUMN traceparent TEXT;
        """),
        Migration(version: 3, name: "log republishes", sql: """
        CREATE TABLE log_republishes (
            epoch                BIGINT PRIMARY KEY CHECK (epoch > 0),
            topic                TEXT NOT NULL,
            reason               TEXT NOT NULL,
            state                TEXT NOT NULL CHECK (state IN ('running', 'done', 'superseded')),
            through_position     BIGINT NOT NULL,
            total_events         BIGINT NOT NULL,
            next_position        BIGINT NOT NULL DEFAULT 0,
            events_published     BIGINT NOT NULL DEFAULT 0,
            started_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
            resumed_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
            published_at_resume  BIGINT NOT NULL DEFAULT 0,
            updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
            finished_at          TIMESTAMPTZ
        );
        """),
        // A queue's pages are refilled within seconds, so giving them back gains nothing, and
        // VACUUM's truncation takes an ACCESS EXCLUSIVE lock that every append waits behind
        // (see `OutboxVacuum`); autovacuum follows this setting too.
        Migration(version: 4, name: "the outbox is never truncated by vacuum", sql: """
        ALTER TABLE outbox SET (vacuum_truncate = false);
        """),
        // Appends write idempotency records with their events (`AppendBatcher`), so the table
        // is the store's. Databases made before have it from the command service's
        // migration 100, which created it: hence IF NOT EXISTS (migration 100 is no longer
        // listed, and a recorded version the runner does not list is left alone).
        Migration(version: 5, name: "idempotency records beside the events", sql: """
        CREATE TABLE IF NOT EXISTS idempotency_keys (
            scope         TEXT NOT NULL,
            key           TEXT NOT NULL,
            request_hash  TEXT NOT NULL,
            response      JSONB NOT NULL,
            created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (scope, key)
        );
        CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);
        """),
        Migration(version: 6, name: "client data keys", sql: """
        CREATE TABLE client_keys (
            stream_id    UUID PRIMARY KEY,
            wrapped_key  BYTEA,
            created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
            erased_at    TIMESTAMPTZ,
            CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
        );
        """),
    ]
}
