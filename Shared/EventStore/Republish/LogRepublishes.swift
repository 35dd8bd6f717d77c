import Foundation
import Postgres

/// Reads and writes `log_republishes` (see `LogRepublish`), on the caller's connection.
public enum LogRepublishes {
    /// The newest republish (the current log epoch), running or not; nil if there was none.
    public static func latest(on connection: PostgresConnection) throws -> LogRepublish? {
        try connection.query(latestSQL).first.map(LogRepublish.init(row:))
    }

    /// The statement of `latest(on:)`, for a pipeline.
    static let latestSQL = "SELECT \(LogRepublish.columns) FROM log_republishes ORDER BY epoch DESC LIMIT 1"

    /// Starts a republish of every event stored so far into `topic`, in a new log epoch; if one
    /// is already running, returns it unless `replacingLostLog`.
    ///
    /// `replacingLostLog` (the broker lost the log or the topic): a running republish is marked
    /// superseded (the records it sent are gone too), and the relay's record of the log end
    /// (`published_offsets` for `topic`) is cleared, since the new log starts empty.
    /// Serialized by an advisory lock, so two callers cannot start two at once.
    public static func start(reason: LogRepublish.Reason, topic: String, replacingLostLog: Bool,
                             on connection: PostgresConnection) throws -> (republish: LogRepublish, started: Bool) {
        _ = try connection.query("SELECT pg_advisory_xact_lock(hashtext('clientele.log_republishes'))")
        let latest = try latest(on: connection)
        if let latest, latest.state == .running {
            guard replacingLostLog else { return (latest, false) }
            try connection.execute("""
                UPDATE log_republishes SET state = 'superseded', finished_at = now(), updated_at = now() WHERE epoch = $1
                """, [latest.epoch])
        }
        if replacingLostLog {
            try connection.execute("DELETE FROM published_offsets WHERE topic = $1", [topic])
        }
        let rows = try connection.query("""
            INSERT INTO log_republishes (epoch, topic, reason, state, through_position, total_events)
            SELECT $1, $2, $3, 'running', COALESCE(max(position), 0), count(*) FROM events
            RETURNING \(LogRepublish.columns)
            """, [(latest?.epoch ?? 0) + 1, topic, reason.rawValue])
        return (try LogRepublish(row: rows[0]), true)
    }

    /// Notes that a relay took the republish up (for its rate), if it is still running.
    static func resume(epoch: Int64, on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE log_republishes SET resumed_at = now(), published_at_resume = events_published, updated_at = now()
            WHERE epoch = $1 AND state = 'running'
            """, [epoch])
    }

    /// Moves the cursor to `through` (everything at or before it is on the log) and counts
    /// `published` more events. A superseded or finished republish is left alone.
    static func recordProgress(epoch: Int64, through: Int64, published: Int, on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE log_republishes SET next_position = GREATEST(next_position, $2), events_published = events_published + $3,
                updated_at = now()
            WHERE epoch = $1 AND state = 'running'
            """, [epoch, through, published])
    }

    /// Marks the republish done.
    static func finish(epoch: Int64, on connection: PostgresConnection) throws {
        try connection.execute("""
            UPDATE log_republishes SET state = 'done', finished_at = now(), updated_at = now() WHERE epoch = $1 AND state = 'running'
            """, [epoch])
    }

    /// Whether `topic` never received anything from this store although the store holds
    /// events that were published (somewhere else): the deployment moved to a fresh topic.
    static func topicNeverPublished(_ topic: String, on connection: PostgresConnection) throws -> Bool {
        try connection.query("""
            SELECT NOT EXISTS (SELECT 1 FROM published_offsets WHERE topic = $1)
               AND NOT EXISTS (SELECT 1 FROM log_republishes WHERE topic = $1)
               AND EXISTS (SELECT 1 FROM events e WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.position = e.position))
            """, [topic])[0].decode(0, as: Bool.self)
    }

    /// The relay's record of the log end: the next offset per partition of `topic`.
    static func publishedEnds(_ topic: String, on connection: PostgresConnection) throws -> [Int32: Int64] {
        try publishedEnds(from: connection.query(publishedEndsSQL, [topic]))
    }

    /// The statement of `publishedEnds(_:on:)` (`$1`: the topic), for a pipeline.
    static let publishedEndsSQL = "SELECT partition, next_offset FROM published_offsets WHERE topic = $1"

    /// The log ends in the rows of `publishedEndsSQL`.
    static func publishedEnds(from rows: PostgresRows) throws -> [Int32: Int64] {
        var ends: [Int32: Int64] = [:]
        for row in rows {
            ends[try row.decode(0, as: Int32.self)] = try row.decode(1, as: Int64.self)
        }
        return ends
    }
}
