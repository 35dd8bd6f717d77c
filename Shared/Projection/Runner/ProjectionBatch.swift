import EventLog
import Foundation

/// One poll's events as the runner applies them: those to apply, with where the log had
/// each, and those of streams already parked, which go straight to the quarantine.
struct ProjectionBatch: Sendable {
    struct Location: Sendable, Equatable {
        var partition: Int32
        var offset: Int64
    }

    /// In log order, as the log had them (the quarantine keeps these).
    var events: [StoredEvent] = []
    /// `events` opened with their streams' data keys (`EventSealing.open`), what the read
    /// model applies; set before the batch is applied.
    var opened: [StoredEvent] = []
    /// `events[i]` came from `locations[i]`.
    var locations: [Location] = []
    /// Events of parked streams: parked in the batch's transaction, never applied.
    var behindParked: [ProjectionQuarantine.Entry] = []

    /// `events` grouped by stream, in the order each stream first appears, each group in log order.
    var streams: [[Int]] {
        var order: [UUID] = []
        var groups: [UUID: [Int]] = [:]
        for (index, event) in events.enumerated() {
            let id = event.envelope.streamId
            if groups[id] == nil { order.append(id) }
            groups[id, default: []].append(index)
        }
        return order.map { groups[$0] ?? [] }
    }

    /// The quarantine entries of the events at `indices`, with `reason`.
    func entries(_ indices: [Int], reason: String) -> [ProjectionQuarantine.Entry] {
        indices.map { ProjectionQuarantine.Entry(event: events[$0], partition: locations[$0].partition,
                                                 offset: locations[$0].offset, reason: reason) }
    }

    /// The quarantine entries of the events the read model rejected (`rejected` names each
    /// by stream and version).
    func entries(rejected: [RejectedEvent]) -> [ProjectionQuarantine.Entry] {
        guard !rejected.isEmpty else { return [] }
        var reasons: [UUID: [Int64: String]] = [:]
        for event in rejected { reasons[event.streamId, default: [:]][event.version] = reasons[event.streamId]?[event.version] ?? event.reason }
        return events.indices.compactMap { index in
            let envelope = events[index].envelope
            guard let reason = reasons[envelope.streamId]?[envelope.streamVersion] else { return nil }
            return ProjectionQuarantine.Entry(event: events[index], partition: locations[index].partition,
                                              offset: locations[index].offset, reason: reason)
        }
    }
}
