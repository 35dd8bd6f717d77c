import Postgres

/// The command service's tables: the event store, its outbox, unique claims and the
/// relay's lease.
///
/// `events` is append-only; `(stream_id, stream_version)` is unique, which is the optimistic
/// concurrency check: two writers that read the same version cannot both append after it.
/// `outbox` holds the positions not yet published; a row is deleted once Kafka acknowledged it.
/// `unique_claims` enforces invariants such as one email per tenant across concurrent writers.
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
    ]
}
