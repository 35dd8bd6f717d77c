import ClientDomain
import Foundation

extension EventSealing {
    /// What stands in for an event whose sealed part could not be opened, in a batch given to
    /// a read model: the event keeps its envelope (stream, version, tenant, time), its type is
    /// one of these and its data `{}`. `StreamFold` counts an erased event and moves its
    /// stream's version past it; it parks the stream of the others.
    public enum Unopened: String, Sendable, CaseIterable {
        /// The stream's key was erased: nothing of the event will ever be read.
        case erased = "clientele.sealed.erased"
        /// No key is known for the stream (and it was not erased).
        case keyUnknown = "clientele.sealed.key_unknown"
        /// The sealed part does not open under the stream's key.
        case malformed = "clientele.sealed.malformed"

        init(_ error: OpenError) {
            switch error {
            case .erased: self = .erased
            case .keyUnknown: self = .keyUnknown
            case .malformed: self = .malformed
            }
        }

        /// Why the event cannot be applied, for the quarantine (no event data).
        public var reason: String {
            switch self {
            case .erased: "the stream's data key was erased"
            case .keyUnknown: "no data key is known for the stream (the command service does not know it)"
            case .malformed: "the event's sealed part does not open under its stream's key"
            }
        }
    }

    /// `events` opened with their streams' keys from `keys` (asked once for every stream of
    /// the batch with a sealed event; a batch with none asks nothing): see `open(_:states:)`. With no source, a sealed event is
    /// `Unopened.keyUnknown`. Throws when the source cannot answer (the batch is then not
    /// applied at all).
    public static func open(_ events: [StoredEvent], keys: (any ClientKeySource)?) async throws -> [StoredEvent] {
        let sealed = events.lazy.filter { mayBeSealed($0.envelope.data) }.map(\.envelope.streamId)
        guard !sealed.isEmpty else { return events }
        return open(events, states: try await states(of: Array(sealed), keys: keys))
    }

    /// The key states of `streamIds` (each asked once) from `keys`; none without a source.
    public static func states(of streamIds: [UUID], keys: (any ClientKeySource)?) async throws -> [UUID: ClientKeyState] {
        guard let keys, !streamIds.isEmpty else { return [:] }
        var ids: [UUID] = []
        var seen: Set<UUID> = []
        for id in streamIds where seen.insert(id).inserted { ids.append(id) }
        return try await keys.keys(for: ids)
    }

    /// `events`, each in place: opened (its whole data parsed in `StoredEvent.opened`, its
    /// envelope as stored) when it opened under its stream's state in `states` (a stream not
    /// there: `.unknown`), as it is when it had nothing sealed, an `Unopened` stand-in when not.
    public static func open(_ events: [StoredEvent], states: [UUID: ClientKeyState]) -> [StoredEvent] {
        events.map { stored in
            do throws(OpenError) {
                var opened = stored
                opened.opened = try openedData(of: stored.envelope, key: states[stored.envelope.streamId] ?? .unknown)
                return opened
            } catch {
                var envelope = stored.envelope
                envelope.type = Unopened(error).rawValue
                envelope.data = Data("{}".utf8)
                return StoredEvent(position: stored.position, envelope: envelope)
            }
        }
    }
}
