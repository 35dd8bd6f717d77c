import ClientDomain
import EventLog
import Foundation
import InternalAPI
import Postgres

/// Reads and writes a projection's parked events (`projection_parked_events`) and the record
/// of events an operator passed over (`projection_passed_events`).
///
/// A stream is parked while it has rows here under the projection's name: its events wait,
/// in stream order, instead of being applied, and every other stream goes on. Rows are
/// written in the transaction of the batch that parked them, with the offsets past them, so
/// a parked event is never lost and never applied twice. Only an operator takes a stream out
/// (`ProjectionRunner.retryParked`, `skipParked`).
public enum ProjectionQuarantine {
    /// An event to park, with where the log had it and why.
    public struct Entry: Sendable, Equatable {
        public var event: StoredEvent
        public var partition: Int32
        public var offset: Int64
        public var reason: String

        public init(event: StoredEvent, partition: Int32, offset: Int64, reason: String) {
            self.event = event
            self.partition = partition
            self.offset = offset
            self.reason = reason
        }
    }

    /// Parks `entries` (an event already parked stays as it was).
    public static func park(_ projection: String, _ entries: [Entry], on connection: PostgresConnection) throws {
        guard !entries.isEmpty else { return }
        let encoder = InternalJSON.encoder()
        let envelopes = try entries.map { Array(try encoder.encode($0.event.envelope)) }
        try connection.execute("""
            INSERT INTO projection_parked_events (projection, stream_id, stream_version, tenant_id, event_id, event_type,
                                                  log_partition, log_offset, position, envelope, reason)
            SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::uuid[], $5::uuid[], $6::text[], $7::int[], $8::bigint[],
                                     $9::bigint[], $10::bytea[], $11::text[])
            ON CONFLICT (projection, stream_id, stream_version) DO NOTHING
            """, [
                projection, PostgresArray(entries.map(\.event.envelope.streamId)), PostgresArray(entries.map(\.event.envelope.streamVersion)),
                PostgresArray(entries.map(\.event.envelope.tenantId)), PostgresArray(entries.map(\.event.envelope.eventId)),
                PostgresArray(entries.map(\.event.envelope.type)), PostgresArray(entries.map(\.partition)),
                PostgresArray(entries.map(\.offset)), PostgresArray(entries.map(\.event.position)), PostgresArray(envelopes),
                PostgresArray(entries.map(\.reason)),
            ])
    }

    /// The highest parked version of each parked stream.
    public static func parkedVersions(_ projection: String, on connection: PostgresConnection) throws -> [UUID: Int64] {
        var versions: [UUID: Int64] = [:]
        for row in try connection.query("""
            SELECT stream_id, max(stream_version) FROM projection_parked_events WHERE projection = $1 GROUP BY stream_id
            """, [projection]) {
            versions[try row.decode(0, as: UUID.self)] = try row.decode(1, as: Int64.self)
        }
        return versions
    }

    /// The parked events of `stream`, in stream order; `FOR UPDATE` locks them for the caller's transaction.
    public static func entries(_ projection: String, stream: UUID, forUpdate: Bool = false,
                               on connection: PostgresConnection) throws -> [Entry] {
        let decoder = InternalJSON.decoder()
        return try connection.query("""
            SELECT envelope, position, log_partition, log_offset, reason FROM projection_parked_events
            WHERE projection = $1 AND stream_id = $2 ORDER BY stream_version\(forUpdate ? " FOR UPDATE" : "")
            """, [projection, stream]).map { row in
            let envelope = try decoder.decode(EventEnvelope.self, from: Data(try row.decode(0, as: [UInt8].self)))
            return Entry(event: StoredEvent(position: try row.decode(1), envelope: envelope), partition: try row.decode(2),
                         offset: try row.decode(3), reason: try row.decode(4))
        }
    }

    /// Takes `stream` out of the quarantine: deletes its parked events.
    public static func release(_ projection: String, stream: UUID, on connection: PostgresConnection) throws {
        try connection.execute("DELETE FROM projection_parked_events WHERE projection = $1 AND stream_id = $2", [projection, stream])
    }

    /// Records that `by` passed over `event` (it was not applied) and why.
    public static func recordPassed(_ projection: String, _ event: StoredEvent, reason: String, by: String,
                                    on connection: PostgresConnection) throws {
        let envelope = event.envelope
        try connection.execute("""
            INSERT INTO projection_passed_events (projection, stream_id, stream_version, tenant_id, event_id, event_type, reason, passed_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [projection, envelope.streamId, envelope.streamVersion, envelope.tenantId, envelope.eventId, envelope.type,
                  reason, by])
    }

    /// Each parked stream of `projection`: its first parked event's version and reason, and
    /// how many events wait; oldest parking first, at most `limit`.
    public static func streams(_ projection: String, limit: Int = 1000, on connection: PostgresConnection) throws -> [ParkedStream] {
        try connection.query("""
            SELECT DISTINCT ON (stream_id) stream_id, tenant_id, stream_version, event_type, reason, parked_at,
                   count(*) OVER (PARTITION BY stream_id), max(stream_version) OVER (PARTITION BY stream_id)
            FROM projection_parked_events WHERE projection = $1
            ORDER BY stream_id, stream_version
            """, [projection]).map { row in
            ParkedStream(projection: projection, streamId: try row.decode(0), tenantId: try row.decode(1),
                         firstVersion: try row.decode(2), lastVersion: try row.decode(7), events: try row.decode(6),
                         eventType: try row.decode(3), reason: try row.decode(4), parkedAt: try row.decode(5))
        }.sorted { ($0.parkedAt, $0.streamId.uuidString) < ($1.parkedAt, $1.streamId.uuidString) }.prefix(limit).map { $0 }
    }

    /// The events `by` passed over in `projection`, newest first, at most `limit`.
    public static func passed(_ projection: String, limit: Int = 1000, on connection: PostgresConnection) throws -> [PassedEvent] {
        try connection.query("""
            SELECT stream_id, stream_version, tenant_id, event_id, event_type, reason, passed_by, passed_at
            FROM projection_passed_events WHERE projection = $1 ORDER BY passed_at DESC, stream_id, stream_version LIMIT $2
            """, [projection, limit]).map { row in
            PassedEvent(projection: projection, streamId: try row.decode(0), version: try row.decode(1), tenantId: try row.decode(2),
                        eventId: try row.decode(3), eventType: try row.decode(4), reason: try row.decode(5),
                        passedBy: try row.decode(6), passedAt: try row.decode(7))
        }
    }

    /// Empties `projection`'s quarantine (a rebuild's shadow, as it starts over).
    public static func clear(_ projection: String, on connection: PostgresConnection) throws {
        try connection.execute("DELETE FROM projection_parked_events WHERE projection = $1", [projection])
    }

    /// Makes `shadow`'s quarantine `live`'s, dropping `live`'s own: a rebuild's swap, whose new
    /// tables hold exactly what the shadow applied.
    public static func promote(_ shadow: String, to live: String, on connection: PostgresConnection) throws {
        try connection.execute("DELETE FROM projection_parked_events WHERE projection = $1", [live])
        try connection.execute("UPDATE projection_parked_events SET projection = $1 WHERE projection = $2", [live, shadow])
    }
}
