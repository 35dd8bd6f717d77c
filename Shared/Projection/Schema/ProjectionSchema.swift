import Postgres

/// The tables every projection keeps next to its read model: its Kafka offsets and the
/// state of its rebuilds.
///
/// `projection_offsets` holds, per projection name and partition, the offset of the next
/// record to apply; it is written in the same transaction as the read model, so the two never
/// disagree. A rebuild keeps its shadow offsets under its own projection name.
/// `projection_rebuilds` holds one row per live projection while (and after) it is rebuilt,
/// also updated in the shadow's transactions, so a rebuild resumes after a crash.
/// `projection_log_epochs` holds, per projection name, the newest log epoch it has read (see
/// `ProjectionLogEpoch`), written with its offsets.
/// `projection_parked_events` holds the events of the streams a projection parked (see
/// `ProjectionQuarantine`), in stream order, written in the batch's transaction with the
/// offsets past them; `projection_passed_events` records each event an operator skipped.
public enum ProjectionSchema {
    /// Migration versions 1 to 3; read models number theirs from 100.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "projection offsets and rebuild state", sql: """
        CREATE TABLE projection_offsets (
            projection   TEXT NOT NULL,
            partition    INT NOT NULL CHECK (partition >= 0),
            next_offset  BIGINT NOT NULL CHECK (next_offset >= 0),
            PRIMARY KEY (projection, partition)
        );
        CREATE TABLE projection_rebuilds (
            projection      TEXT PRIMARY KEY,
            state           TEXT NOT NULL CHECK (state IN ('running', 'done')),
            events_applied  BIGINT NOT NULL DEFAULT 0,
            started_at      TIMESTAMPTZ NOT NULL,
            finished_at     TIMESTAMPTZ
        );
        """),
        Migration(version: 2, name: "projection log epochs", sql: """
        CREATE TABLE projection_log_epochs (
            projection  TEXT PRIMARY KEY,
            epoch       BIGINT NOT NULL CHECK (epoch >= 0)
        );
        """),
        // The event itself is kept as bytes (its envelope in the internal JSON coding): it may
        // hold exactly what the read model's tables refused, such as a NUL that `jsonb` and
        // `text` reject. `reason` is written by the projection and never holds event data.
        Migration(version: 3, name: "projection parked events", sql: """
        CREATE TABLE projection_parked_events (
            projection      TEXT NOT NULL,
            stream_id       UUID NOT NULL,
            stream_version  BIGINT NOT NULL CHECK (stream_version > 0),
            tenant_id       UUID NOT NULL,
            event_id        UUID NOT NULL,
            event_type      TEXT NOT NULL,
            log_partition   INT NOT NULL,
            log_offset      BIGINT NOT NULL,
            position        BIGINT NOT NULL,
            envelope        BYTEA NOT NULL,
            reason          TEXT NOT NULL,
            parked_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (projection, stream_id, stream_version)
        );
        CREATE TABLE projection_passed_events (
            projection      TEXT NOT NULL,
            stream_id       UUID NOT NULL,
            stream_version  BIGINT NOT NULL,
            tenant_id       UUID NOT NULL,
            event_id        UUID NOT NULL,
            event_type      TEXT NOT NULL,
            reason          TEXT NOT NULL,
            passed_by       TEXT NOT NULL,
            passed_at       TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE INDEX projection_passed_events_by_stream ON projection_passed_events (projection, stream_id, stream_version);
        """),
    ]
}
