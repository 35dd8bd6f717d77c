import ClientDomain
import Errors
import EventLog
import Foundation
import Postgres

/// The event store in PostgreSQL: append with optimistic concurrency, outbox, unique claims
/// and idempotency records in one transaction; read a stream; read everything after a position.
///
/// Safe with several command-service instances on one database: the unique constraint on
/// `(stream_id, stream_version)` lets only one of two racing appends win, and the loser gets
/// `AppendConflict.streamChanged` to reload and decide again.
public struct PostgresEventStore: Sendable {
    public let pool: PostgresPool
    /// Writes the appends of concurrent callers together (see `append(_:)`).
    public let batcher: AppendBatcher
    /// The streams' data keys: events are stored sealed (`EventSealing`) and opened when
    /// loaded. nil: events are stored and loaded as they are (only tests of the store's own
    /// mechanics; the command service always has keys).
    public let keys: ClientKeyStore?

    /// - Parameter readiness: lets plain appends made on an HTTP event loop wait for
    ///   PostgreSQL there (see `AppendBatcher`).
    public init(pool: PostgresPool, readiness: (any PostgresReadiness)? = nil, keys: ClientKeyStore? = nil) {
        self.pool = pool
        self.batcher = AppendBatcher(pool: pool, readiness: readiness)
        self.keys = keys
    }

    /// A stream whose data key was shredded: its events can never be read again.
    public struct StreamErased: Error, Equatable {
        public var streamId: UUID
    }

    /// Why an append was refused.
    public enum AppendConflict: Error, Equatable {
        /// Another writer appended to the stream since it was read.
        case streamChanged
        /// A unique claim of this kind (for example `email`) belongs to another stream.
        case claimTaken(kind: String)
        /// The append's idempotency key was recorded first by another append (whose record
        /// holds the answer to give).
        case idempotencyKeyTaken
    }

    /// Every event of a stream, oldest first, opened. Throws `StreamErased` when the
    /// stream's key was shredded.
    public func load(streamId: UUID) async throws -> [EventEnvelope] {
        try await loadForAppend(streamId: streamId).events
    }

    /// Every event of a stream, oldest first, opened, and the key the stream's next events
    /// are sealed with (a new one, to store with them, for a stream without a key: a new
    /// stream, or one whose events were stored before sealing). Throws `StreamErased` when the
    /// stream's key was shredded.
    public func loadForAppend(streamId: UUID) async throws -> (events: [EventEnvelope], sealing: AppendBatcher.Sealing?) {
        let rows = try await pool.query("""
            SELECT \(Self.columns) FROM events WHERE stream_id = $1 ORDER BY stream_version
            """, [streamId])
        let stored = try rows.map { try Self.envelope(from: $0, startingAt: 0) }
        guard let keys else { return (stored, nil) }
        let state = stored.isEmpty ? .unknown : (try await keys.keys(for: [streamId])[streamId] ?? .unknown)
        let sealing: AppendBatcher.Sealing
        switch state {
        case .key(let key): sealing = AppendBatcher.Sealing(key: key, newWrappedKey: nil)
        case .erased: throw StreamErased(streamId: streamId)
        case .unknown:
            let (key, wrapped) = keys.keyring.makeKey(for: streamId)
            sealing = AppendBatcher.Sealing(key: key, newWrappedKey: wrapped)
        }
        let events = try stored.map { envelope in
            do {
                return try EventSealing.open(envelope, key: state)
            } catch EventSealing.OpenError.erased {
                throw StreamErased(streamId: streamId)
            } catch {
                throw ClienteleError(.internal, "Internal server error",
                                     internalDetail: "an event of a stream cannot be opened: \(error)")
            }
        }
        return (events, sealing)
    }

    /// A new data key for a stream presumed new (`streamId`), stored with its first append;
    /// nil without keys.
    public func newSealing(for streamId: UUID) -> AppendBatcher.Sealing? {
        guard let keys else { return nil }
        let (key, wrapped) = keys.keyring.makeKey(for: streamId)
        return AppendBatcher.Sealing(key: key, newWrappedKey: wrapped)
    }

    /// Appends what `request` makes (its events with their outbox entries, its unique claims
    /// moved, its idempotency record and statements alongside), all of it or nothing, together
    /// with the appends of concurrent callers (group commit, see `AppendBatcher`). Throws an
    /// `AppendConflict` when its stream changed, a claim or its idempotency key is taken.
    public func append(_ request: AppendBatcher.Request) async throws -> AppendBatcher.Appended {
        try await batcher.append(request)
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
