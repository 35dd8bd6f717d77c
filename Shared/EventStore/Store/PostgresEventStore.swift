import ClientDomain
import Errors
import EventLog
import Foundation
import Postgres

/// The event store in PostgreSQL: append with optimistic concurrency, outbox and unique
/// claims in one transaction; read a stream; read everything after a position.
///
/// Safe with several command-service instances on one database: the unique constraint on
/// `(stream_id, stream_version)` lets only one of two racing appends win, and the loser gets
/// `AppendConflict.streamChanged` to reload and decide again.
public struct PostgresEventStore: Sendable {
    public let pool: PostgresPool
    /// Writes plain appends of concurrent callers together (see `appendBatched(_:)`).
    public let batcher: AppendBatcher

    /// - Parameter readiness: lets plain appends made on an HTTP event loop wait for
    ///   PostgreSQL there (see `AppendBatcher`).
    public init(pool: PostgresPool, readiness: (any PostgresReadiness)? = nil) {
        self.pool = pool
        self.batcher = AppendBatcher(pool: pool, readiness: readiness)
    }

    /// Why an append was refused.
    public enum AppendConflict: Error, Equatable {
        /// Another writer appended to the stream since it was read.
        case streamChanged
        /// A unique claim of this kind (for example `email`) belongs to another stream.
        case claimTaken(kind: String)
    }

    /// Every event of a stream, oldest first.
    public func load(streamId: UUID) async throws -> [EventEnvelope] {
        let rows = try await pool.query("""
            SELECT \(Self.columns) FROM events WHERE stream_id = $1 ORDER BY stream_version
            """, [streamId])
        return try rows.map { try Self.envelope(from: $0, startingAt: 0) }
    }

    /// Appends `envelopes` (consecutive versions of one stream, after `expectedVersion`) and
    /// their outbox entries, and moves the stream's unique claims from `releasing` to `claiming`.
    /// Returns the position of the last event appended.
    ///
    /// `alongside` runs last inside the same transaction (for example to record an idempotency
    /// key with the outcome), so it commits with the events or not at all. An error it throws
    /// rolls everything back and is rethrown unchanged, except PostgreSQL unique violations and
    /// transaction conflicts, which are reported as `AppendConflict.streamChanged` like the
    /// store's own.
    public func append(_ envelopes: [EventEnvelope], expectedVersion: Int64,
                       claiming: Set<UniqueClaim> = [], releasing: Set<UniqueClaim> = [],
                       alongside: (@Sendable (PostgresConnection) throws -> Void)? = nil) async throws -> Int64 {
        var write: (@Sendable (PostgresConnection, Void) throws -> Void)?
        if let alongside {
            write = { connection, _ in try alongside(connection) }
        }
        return try await append(expectedVersion: expectedVersion, claiming: claiming, releasing: releasing,
                                building: { _ in (envelopes, ()) }, alongside: write).last
    }

    /// Appends the envelopes `build` makes on the append's own connection, first thing, with
    /// everything `append(_:expectedVersion:claiming:releasing:alongside:)` does; returns the
    /// last position, the envelopes and what `build` made beside them (passed to `alongside`).
    ///
    /// `build` lets a caller draw something from the database for the events (a create's public
    /// number) in the same pool checkout as the append. It may run again if the connection
    /// turned out broken before its first statement was sent, so it must not depend on
    /// running once. Whatever it draws outside a transaction (a sequence value) stays drawn if
    /// the append then fails.
    ///
    /// One checkout of the pool, and as few statements as the append allows: one event with no
    /// claims to move and nothing `alongside` is a single statement (events and outbox entry in
    /// one implicit transaction); anything else runs in an explicit transaction.
    public func append<Built: Sendable>(expectedVersion: Int64, claiming: Set<UniqueClaim> = [], releasing: Set<UniqueClaim> = [],
                                        building build: @Sendable (PostgresConnection) throws -> (envelopes: [EventEnvelope], value: Built),
                                        alongside: (@Sendable (PostgresConnection, Built) throws -> Void)? = nil)
        async throws -> (last: Int64, envelopes: [EventEnvelope], value: Built) {
        let release = releasing.subtracting(claiming)
        let claim = claiming.subtracting(releasing)
        let plain = release.isEmpty && claim.isEmpty && alongside == nil
        do {
            return try await pool.withConnection { connection in
                let (envelopes, value) = try build(connection)
                let rows = try Self.rows(envelopes, after: expectedVersion)
                if plain && rows.count == 1 {
                    return (try Self.insert(rows[0].envelope, data: rows[0].data, on: connection), envelopes, value)
                }
                let first = rows[0].envelope
                let last = try connection.transaction {
                    var last: Int64 = 0
                    for (envelope, data) in rows {
                        last = try Self.insert(envelope, data: data, on: connection)
                    }
                    for claim in release {
                        try connection.execute("DELETE FROM unique_claims WHERE tenant_id = $1 AND kind = $2 AND value = $3 AND stream_id = $4",
                                               [first.tenantId, claim.kind, claim.value, first.streamId])
                    }
                    for claim in claim {
                        let taken = try connection.query("""
                            INSERT INTO unique_claims (tenant_id, kind, value, stream_id) VALUES ($1, $2, $3, $4)
                            ON CONFLICT (tenant_id, kind, value) DO UPDATE SET stream_id = unique_claims.stream_id
                            RETURNING stream_id
                            """, [first.tenantId, claim.kind, claim.value, first.streamId])
                        guard try taken[0].decode(0, as: UUID.self) == first.streamId else {
                            throw AppendConflict.claimTaken(kind: claim.kind)
                        }
                    }
                    try alongside?(connection, value)
                    return last
                }
                return (last, envelopes, value)
            }
        } catch let error as PostgresError where error.isUniqueViolation || error.isTransactionConflict {
            // A racing writer appended the same stream version first (the unique constraint on
            // (stream_id, stream_version) is the optimistic concurrency check), or two writers
            // deadlocked on claims; either way, reload and decide again.
            throw AppendConflict.streamChanged
        }
    }

    /// Appends one event, with no claims to move and nothing written alongside, in one
    /// statement with the plain appends of concurrent callers (group commit, see
    /// `AppendBatcher`): its outbox entry commits with it. Throws
    /// `AppendConflict.streamChanged` if its stream version is taken; otherwise like
    /// `append(expectedVersion:claiming:releasing:building:alongside:)` with one event.
    public func appendBatched(_ request: AppendBatcher.Request) async throws -> AppendBatcher.Appended {
        try await batcher.append(request)
    }

    /// `envelopes` with their data as text, checked to follow `expectedVersion`.
    private static func rows(_ envelopes: [EventEnvelope], after expectedVersion: Int64) throws -> [(envelope: EventEnvelope, data: String)] {
        guard let first = envelopes.first else { throw ClienteleError(.internal, "nothing to append") }
        precondition(first.streamVersion == expectedVersion + 1, "envelopes must follow the expected version")
        return try envelopes.map { envelope in
            guard let text = String(data: envelope.data, encoding: .utf8) else {
                throw ClienteleError(.internal, "event data is not UTF-8")
            }
            return (envelope, text)
        }
    }

    /// Inserts one event and its outbox entry in one statement; returns the event's position.
    private static func insert(_ envelope: EventEnvelope, data: String, on connection: PostgresConnection) throws -> Int64 {
        let inserted = try connection.query("""
            WITH appended AS (
                INSERT INTO events (event_id, stream_id, stream_version, tenant_id, type, schema_version,
                                    occurred_at, actor_kind, actor_id, correlation_id, causation_id, data, traceparent)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                RETURNING position)
            INSERT INTO outbox (position) SELECT position FROM appended RETURNING position
            """, [envelope.eventId, envelope.streamId, envelope.streamVersion, envelope.tenantId, envelope.type,
                  envelope.schemaVersion, envelope.occurredAt, envelope.actor.kind.rawValue, envelope.actor.id,
                  envelope.correlationId, envelope.causationId, PostgresJSON(text: data), envelope.traceparent])
        return try inserted[0].decode(0, as: Int64.self)
    }

    /// Up to `limit` events after `position`, in position order (for republishing and replays).
    public func events(after position: Int64, limit: Int) async throws -> [StoredEvent] {
        let rows = try await pool.query("""
            SELECT position, \(Self.columns) FROM events WHERE position > $1 ORDER BY position LIMIT $2
            """, [position, limit])
        return try rows.map { StoredEvent(position: try $0.decode(0, as: Int64.self), envelope: try Self.envelope(from: $0, startingAt: 1)) }
    }

    /// The stream holding unique claim (`kind`, `value`) in `tenantId`, if any.
    public func claimHolder(kind: String, value: String, tenantId: UUID) async throws -> UUID? {
        let rows = try await pool.query("SELECT stream_id FROM unique_claims WHERE tenant_id = $1 AND kind = $2 AND value = $3",
                                        [tenantId, kind, value])
        return try rows.first?.decode(0, as: UUID.self)
    }

    static let columns = """
        event_id, stream_id, stream_version, tenant_id, type, schema_version, occurred_at, actor_kind, actor_id,
        correlation_id, causation_id, data, traceparent
        """

    /// Decodes an envelope from `columns`, the first of which is column `base` of `row`.
    static func envelope(from row: PostgresRow, startingAt base: Int) throws -> EventEnvelope {
        let actorKind = try row.decode(base + 7, as: String.self)
        guard let kind = Actor.Kind(rawValue: actorKind) else {
            throw ClienteleError(.internal, "unknown actor kind in the event store")
        }
        return EventEnvelope(eventId: try row.decode(base, as: UUID.self),
                             type: try row.decode(base + 4, as: String.self),
                             schemaVersion: try row.decode(base + 5, as: Int.self),
                             streamId: try row.decode(base + 1, as: UUID.self),
                             streamVersion: try row.decode(base + 2, as: Int64.self),
                             tenantId: try row.decode(base + 3, as: UUID.self),
                             occurredAt: try row.decode(base + 6, as: Date.self),
                             actor: Actor(kind: kind, id: try row.decode(base + 8, as: String.self)),
                             correlationId: try row.decode(base + 9, as: String.self),
                             causationId: try row.decodeIfPresent(base + 10, as: String.self),
                             data: Data(try row.decode(base + 11, as: PostgresJSON.self).text.utf8),
                             traceparent: try row.decodeIfPresent(base + 12, as: String.self))
    }
}

extension PostgresEventStore: ClientLookup {
    public func clientId(withEmail email: String, tenantId: UUID) async throws -> UUID? {
        try await claimHolder(kind: "email", value: email.lowercased(), tenantId: tenantId)
    }
}
