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
public enum ProjectionSchema {
    /// Migration versions 1 and 2; read models number theirs from 100.
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
    ]
}
