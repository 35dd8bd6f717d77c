import ClientDomain
import EventLog
import Foundation
import InternalAPI

/// A read model's row for one client stream while a batch is folded in memory.
public protocol StreamFoldState {
    var tenantId: UUID { get }
    /// The stream version last applied (moved past an erased event without applying it).
    var version: Int64 { get set }

    /// The state of a stream whose data key was erased before this read model saw its
    /// creation: the ids-only tombstone its erasure leaves (shown nowhere, counted nowhere).
    init(tombstoneOf id: UUID, tenantId: UUID, version: Int64)
}

/// Folds a batch of client events into per-stream states, the part every read model shares.
///
/// For each event, in order: the stream-version rule (`StreamVersionRule`) skips duplicates
/// and early arrivals, an unreadable event or one naming another tenant than its stream's
/// is rejected (listed in `outcome.rejected`, for the runner to park its stream from it on,
/// with the stream's later events of the batch), and otherwise `apply` changes the existing state or `create`
/// makes the stream's first (nil: not a creation, rejected). An event whose sealed part could
/// not be opened (`EventSealing.Unopened`) is not applied: an erased one is counted
/// (`outcome.erased`) and moves its stream's version past it (a stream without a state gets
/// the tombstone its erasure leaves, `StreamFoldState.init(tombstoneOf:)`: a read model that
/// was behind when the client was erased still reaches the erased version, and its erasure
/// receipt completes), any other is rejected, which parks its stream. The outcome counts
/// each case and lists the last applied version per stream; the returned ids are the
/// streams that changed, in first-change order, for the read model to write back.
public enum StreamFold {
    /// Whether every event of the batch creates a stream (version 1) and no stream comes twice.
    ///
    /// Such a batch may be folded from no state at all: a stream without a row is created as
    /// the fold from its row would, and a stream that has a row (at any version) applied that
    /// creation before, so the read model must leave it as it is and count a duplicate.
    public static func creationsOnly(_ events: [StoredEvent]) -> Bool {
        var ids = Set<UUID>(minimumCapacity: events.count)
        return events.allSatisfy { $0.envelope.streamVersion == 1 && ids.insert($0.envelope.streamId).inserted }
    }

    /// The statement that reads the rows of the streams in `$1` (a `uuid[]`) from `table`:
    /// `columns` of each row found, in no particular order.
    ///
    /// Each id is looked up through the key on its own (a LATERAL subquery with LIMIT, which
    /// the planner does not flatten into a join): `WHERE id = ANY ($1)` kept the sequential scan
    /// of a generic plan made while the table was small, however large the table grew until
    /// autoanalyze came by. `columns` may be expressions over the table's columns.
    public static func rowsQuery(columns: String, from table: String) -> String {
        """
        SELECT r.* FROM unnest($1::uuid[]) AS k(key)
        CROSS JOIN LATERAL (SELECT \(columns) FROM \(table) WHERE id = k.key LIMIT 1) AS r
        """
    }

    public static func fold<State: StreamFoldState>(
        _ events: [StoredEvent], into states: inout [UUID: State], outcome: inout ProjectionApplyOutcome,
        apply: (inout State, ClientEvent, EventEnvelope) -> Void,
        create: (ClientEvent, EventEnvelope) -> State?
    ) -> [UUID] {
        var changed: [UUID] = []
        var seen: Set<UUID> = []
        var rejectedStreams: Set<UUID> = []
        for stored in events {
            let envelope = stored.envelope
            func reject(_ reason: String) {
                rejectedStreams.insert(envelope.streamId)
                outcome.rejected.append(RejectedEvent(streamId: envelope.streamId, version: envelope.streamVersion, reason: reason))
            }
            if rejectedStreams.contains(envelope.streamId) {
                reject(RejectedEvent.behindRejected)
                continue
            }
            let current = states[envelope.streamId]
            switch StreamVersionRule.decide(version: envelope.streamVersion, lastApplied: current?.version ?? 0) {
            case .duplicate:
                outcome.duplicates += 1
                continue
            case .early:
                outcome.early += 1
                continue
            case .apply:
                break
            }
            if let unopened = EventSealing.Unopened(rawValue: envelope.type) {
                guard unopened == .erased else {
                    reject(unopened.reason)
                    continue
                }
                outcome.erased += 1
                var state = current ?? State(tombstoneOf: envelope.streamId, tenantId: envelope.tenantId,
                                             version: envelope.streamVersion)
                state.version = envelope.streamVersion
                states[envelope.streamId] = state
                if seen.insert(envelope.streamId).inserted { changed.append(envelope.streamId) }
                continue
            }
            guard let event = try? stored.decoded() else {
                reject("the event cannot be read (unknown type or schema version, or malformed data)")
                continue
            }
            if var state = current {
                guard state.tenantId == envelope.tenantId else {
                    reject("the event names another tenant than its stream")
                    continue
                }
                apply(&state, event, envelope)
                states[envelope.streamId] = state
            } else if let state = create(event, envelope) {
                states[envelope.streamId] = state
            } else {
                reject("the stream's first event is not a creation")
                continue
            }
            if seen.insert(envelope.streamId).inserted { changed.append(envelope.streamId) }
            outcome.appliedCount += 1
        }
        outcome.applied = changed.compactMap { id in states[id].map { AppliedVersion(streamId: id, version: $0.version) } }
        return changed
    }
}
