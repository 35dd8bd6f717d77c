import EventLog
import Foundation
import InternalAPI
import Postgres

/// Which set of tables a projection writes: the live ones that serve queries, or the shadow
/// ones a rebuild fills from the start of the log.
public enum ProjectionTarget: String, Sendable {
    case live, shadow
}

/// What applying one batch did.
public struct ProjectionApplyOutcome: Sendable, Equatable {
    /// The last version applied per stream in the batch (one entry per stream).
    public var applied: [AppliedVersion] = []
    /// Events applied.
    public var appliedCount = 0
    /// Events skipped as already applied.
    public var duplicates = 0
    /// Events skipped because an earlier version of their stream is still missing.
    public var early = 0
    /// Records that are not client events at all (not a CloudEvent), skipped and logged.
    public var invalid = 0
    /// Events whose stream's data key was erased: not applied, not parked (`StreamFold`).
    public var erased = 0
    /// The events the read model refused, and those of their streams after them in the batch:
    /// the runner parks them (`parkedCount` then counts them).
    public var rejected: [RejectedEvent] = []
    /// The last version parked per stream in the batch: read-your-writes waiters of those
    /// streams are told at once that their write will not show until an operator acts.
    public var parked: [AppliedVersion] = []
    /// Events parked.
    public var parkedCount = 0

    public init() {}

    /// Every event the batch held, whatever was done with it.
    public var total: Int { appliedCount + duplicates + early + invalid + erased + parkedCount }

    /// Adds `other`'s counts and lists (of other streams) to these.
    public mutating func merge(_ other: ProjectionApplyOutcome) {
        applied += other.applied
        appliedCount += other.appliedCount
        duplicates += other.duplicates
        early += other.early
        invalid += other.invalid
        erased += other.erased
        rejected += other.rejected
        parked += other.parked
        parkedCount += other.parkedCount
    }
}

/// An event a read model could not apply although it was its stream's next: unreadable, of
/// another tenant than its stream, or a stream's first event that is not a creation.
public struct RejectedEvent: Sendable, Equatable {
    public var streamId: UUID
    public var version: Int64
    /// Why, in words that carry no event data.
    public var reason: String

    public init(streamId: UUID, version: Int64, reason: String) {
        self.streamId = streamId
        self.version = version
        self.reason = reason
    }

    /// The reason of an event that waits behind an earlier one of its stream.
    public static let behindRejected = "waits behind an earlier parked event of its stream"
}

/// A read model a `ProjectionRunner` keeps: it applies batches of events inside the runner's
/// transaction, and can build itself a second time in shadow tables for a rebuild.
///
/// `apply` must follow `StreamVersionRule` per stream (the read model stores each stream's
/// last applied version), so redelivered and early events change nothing. It runs on the
/// transaction that also advances the offsets, and must not commit or roll back.
public protocol ProjectionReadModel: Sendable {
    /// Applies `events` (in log order) to `target`'s tables, and stores `offsets` (when given)
    /// in the same statements when it can; returns whether it stored them (if not, the runner
    /// stores them after, in the same transaction).
    func apply(_ events: [StoredEvent], to target: ProjectionTarget, storing offsets: ProjectionOffsets.Pending?,
               on connection: PostgresConnection) throws -> (ProjectionApplyOutcome, storedOffsets: Bool)
    /// Creates empty shadow tables, dropping any left from an earlier rebuild.
    ///
    /// They may leave out what is cheaper to build once after the bulk load than to keep up
    /// row by row (secondary indexes): `shadowCompletion` lists it.
    func prepareShadow(on connection: PostgresConnection) throws
    /// The statements that still have to run before the shadow tables may be promoted (such
    /// as the secondary indexes `prepareShadow` left out), read from the database: after each
    /// one committed, it is no longer listed. Each runs in its own transaction, possibly
    /// several at once on different connections. Empty when there is nothing left to do.
    func shadowCompletion(on connection: PostgresConnection) throws -> [String]
    /// Makes the shadow tables the live ones (the old live ones are dropped), in the caller's
    /// transaction, so queries see either the old or the new read model, never a mix.
    func promoteShadow(on connection: PostgresConnection) throws
    /// Moves stream `streamId`'s version to `version` without applying the event at that
    /// version (an operator skipped it), when the stream's row is at the version before; a
    /// stream without a row is left without one. The stream's later events then apply.
    func passOver(streamId: UUID, version: Int64, in target: ProjectionTarget, on connection: PostgresConnection) throws
}

extension ProjectionReadModel {
    /// Applies `events` (in log order) to `target`'s tables; offsets are the caller's business.
    public func apply(_ events: [StoredEvent], to target: ProjectionTarget, on connection: PostgresConnection) throws
        -> ProjectionApplyOutcome {
        try apply(events, to: target, storing: nil, on: connection).0
    }

    /// Nothing to complete: the shadow tables were created whole.
    public func shadowCompletion(on connection: PostgresConnection) throws -> [String] { [] }
}
