import ClientDomain
import Foundation
import JSON

/// A page of one client's history, as the command service reads it from its event store
/// (`InternalPaths.clientHistory`): each event of the stream decoded, oldest first.
///
/// A page holds at most `maxEvents` events and stops after the event that takes its events'
/// data past `maxDataBytes` (so it always holds at least one event when any is left);
/// `nextVersion` is the version to ask from next, nil after the stream's last event.
public struct ClientHistoryPage: Sendable, Equatable {
    /// One event: its type, stream version, time, actor and data (what changed, as stored at
    /// the current schema version).
    public struct Entry: Sendable, Equatable {
        public var type: String
        public var version: Int64
        public var occurredAt: Date
        public var actor: Actor
        public var data: JSONValue

        public init(type: String, version: Int64, occurredAt: Date, actor: Actor, data: JSONValue) {
            self.type = type
            self.version = version
            self.occurredAt = occurredAt
            self.actor = actor
            self.data = data
        }
    }

    /// The most events one page holds.
    public static let maxEvents = 500
    /// A page stops after the event that takes its events' data past this many bytes.
    public static let maxDataBytes = 1 << 20

    public var events: [Entry]
    public var nextVersion: Int64?

    public init(events: [Entry], nextVersion: Int64?) {
        self.events = events
        self.nextVersion = nextVersion
    }

    /// The page of `envelopes` (one stream, oldest first) after version `after`, each event's
    /// data read by `decode` (only the events the page holds are decoded).
    public static func page(of envelopes: [EventEnvelope], after: Int64,
                            decode: (EventEnvelope) throws -> JSONValue) rethrows -> ClientHistoryPage {
        var entries: [Entry] = []
        var bytes = 0
        for envelope in envelopes where envelope.streamVersion > after {
            if entries.count == maxEvents || bytes > maxDataBytes {
                return ClientHistoryPage(events: entries, nextVersion: entries.last?.version)
            }
            entries.append(Entry(type: envelope.type, version: envelope.streamVersion, occurredAt: envelope.occurredAt,
                                 actor: envelope.actor, data: try decode(envelope)))
            bytes += envelope.data.count
        }
        return ClientHistoryPage(events: entries, nextVersion: nil)
    }

    public var json: JSONValue {
        .object([
            "events": .array(events.map { entry in
                .object(["type": .string(entry.type), "version": .int(entry.version),
                         "occurredAt": .string(Timestamp.format(entry.occurredAt)), "actor": entry.actor.internalJSON,
                         "data": entry.data])
            }),
            "nextVersion": nextVersion.map(JSONValue.int) ?? .null,
        ])
    }

    public init(json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        events = try JSONObjectReader.array(object.required("events", .array), path: "events") { item, path throws(JSONFieldError) in
            let entry = try JSONObjectReader(item, path: path)
            return Entry(type: try entry.string("type"), version: try entry.int64("version"),
                         occurredAt: try entry.parsed("occurredAt", Timestamp.parse),
                         actor: try Actor(internalJSON: entry.object("actor")), data: try entry.required("data", .object))
        }
        nextVersion = try object.optionalInt64("nextVersion")
    }
}
