import Postgres

/// Reads and writes a projection's row of `projection_log_epochs`: the newest log epoch
/// (`CloudEventsKafkaBinding.logEpochHeader`) whose records it has read.
///
/// When a record of a newer epoch arrives, the log the projection was reading has been
/// replaced by a republish (after the broker lost it): its stored offsets point into the old
/// log, so it reads the new one from the start, and stores the new epoch in that same
/// transaction. 0 until the store was first republished.
public enum ProjectionLogEpoch {
    /// The stored epoch; 0 when none was stored.
    public static func load(_ projection: String, on connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT epoch FROM projection_log_epochs WHERE projection = $1", [projection])
            .first?.decode(0, as: Int64.self) ?? 0
    }

    /// Stores `epoch`; never moves it back.
    public static func store(_ projection: String, _ epoch: Int64, on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO projection_log_epochs (projection, epoch) VALUES ($1, $2)
            ON CONFLICT (projection) DO UPDATE SET epoch = GREATEST(projection_log_epochs.epoch, EXCLUDED.epoch)
            """, [projection, epoch])
    }
}
