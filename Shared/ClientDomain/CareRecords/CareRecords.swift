import Foundation

/// A care client's goals (and their tasks), medications and appointments, folded from its
/// stream's `ClientCareRecordChanged` events: what the decider checks commands against.
///
/// Records keep their order of adding; a lookup by id is a dictionary's (a client may have
/// thousands of appointments, and every command folds them all).
public struct CareRecords: Sendable, Equatable {
    /// One kind's records in the order they were added.
    public struct List: Sendable, Equatable {
        public private(set) var records: [CareRecord] = []
        private var index: [UUID: Int] = [:]

        public init() {}

        public subscript(id: UUID) -> CareRecord? { index[id].map { records[$0] } }

        public var count: Int { records.count }

        /// Adds `record`, or replaces the one with its id.
        public mutating func put(_ record: CareRecord) {
            if let position = index[record.id] {
                records[position] = record
            } else {
                index[record.id] = records.count
                records.append(record)
            }
        }
    }

    public var goals = List()
    /// Each goal's tasks, by goal id.
    public var tasks: [UUID: List] = [:]
    public var medications = List()
    public var appointments = List()

    public init() {}

    /// The records of `kind` (for tasks, `goalId`'s).
    public func list(_ kind: CareRecordKind, goalId: UUID?) -> List {
        switch kind {
        case .goal: goals
        case .goalTask: goalId.flatMap { tasks[$0] } ?? List()
        case .medication: medications
        case .appointment: appointments
        }
    }

    /// Applies one event (replaying one changes nothing more: the record is put by id).
    public mutating func apply(_ event: ClientCareRecordChanged) {
        switch event.kind {
        case .goal: goals.put(event.record)
        case .goalTask:
            guard let goalId = event.goalId else { return }
            tasks[goalId, default: List()].put(event.record)
        case .medication: medications.put(event.record)
        case .appointment: appointments.put(event.record)
        }
    }
}
