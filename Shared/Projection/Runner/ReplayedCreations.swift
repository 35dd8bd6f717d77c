import EventLog
import Foundation
import Postgres
import Synchronization

/// What a read model remembers of its batches of creations only (`StreamFold.creationsOnly`),
/// to take the cheaper way with the next one.
///
/// Under create load such a batch creates new streams, so it is folded without a read. A
/// replayed log (the relay's republish after the broker lost its log) starts with creations
/// the read model holds already: folding and writing them only to find them there cost as
/// much as applying them, and set how long the read models took to catch up. So once a batch
/// found streams there, the next ones first look up which of their streams have a row (ids
/// only) and leave those out as duplicates, until a batch finds none. Either way is correct;
/// this only picks the cheaper one for what the log holds now. Per target: a rebuild's
/// shadow tables and the live ones see different logs.
public final class ReplayedCreations: Sendable {
    private let targets = Mutex<Set<ProjectionTarget>>([])

    public init() {}

    /// `events` (creations only) without those whose stream `table` has a row for, when the
    /// last such batch for `target` found some; `duplicates` counts the events left out.
    public func withoutApplied(_ events: [StoredEvent], in table: String, target: ProjectionTarget,
                               on connection: PostgresConnection) throws -> (events: [StoredEvent], duplicates: Int) {
        guard targets.withLock({ $0.contains(target) }) else { return (events, 0) }
        let ids = PostgresArray(events.map(\.envelope.streamId))
        let existing = Set(try connection.query(StreamFold.rowsQuery(columns: "id", from: table), [ids])
            .map { try $0.decode(0, as: UUID.self) })
        note(target, foundApplied: !existing.isEmpty)
        guard !existing.isEmpty else { return (events, 0) }
        let remaining = events.filter { !existing.contains($0.envelope.streamId) }
        return (remaining, events.count - remaining.count)
    }

    /// Records whether a batch of creations only for `target` found streams applied already.
    public func note(_ target: ProjectionTarget, foundApplied: Bool) {
        targets.withLock { targets in
            if foundApplied { targets.insert(target) } else { targets.remove(target) }
        }
    }
}
