import Foundation

/// One stored event with everything needed to route, order, trace and replay it.
///
/// The envelope is what the event store keeps and what travels on Kafka (as CloudEvents
/// headers plus the JSON `data`). `data` is the event's JSON at `schemaVersion`; readers
/// decode it through `ClientEvent.decode(_:)`, which upcasts older versions first, so an
/// old log still replays after a schema change.
public struct EventEnvelope: Sendable, Equatable, Codable {
    /// Unique per event; consumers deduplicate on it.
    public var eventId: UUID
    /// The event type, such as `client.created`.
    public var type: String
    /// The version of `data`'s schema for this type.
    public var schemaVersion: Int
    /// The stream the event belongs to: the client's id.
    public var streamId: UUID
    /// The event's position in its stream, from 1, without gaps.
    public var streamVersion: Int64
    /// The tenant (company / organization / workspace) owning the client.
    public var tenantId: UUID
    public var occurredAt: Date
    /// Who caused it.
    public var actor: Actor
    /// Follows one user action across services.
    public var correlationId: String
    /// The id of the command or event that directly caused this one.
    public var causationId: String?
    /// The event's JSON.
    public var data: Data
    /// The W3C `traceparent` of the work that wrote the event (its trace id and the writer's
    /// span), so consumers can continue the trace; nil for events written without one.
    public var traceparent: String?

    public init(eventId: UUID = UUID(), type: String, schemaVersion: Int, streamId: UUID, streamVersion: Int64,
                tenantId: UUID, occurredAt: Date, actor: Actor, correlationId: String, causationId: String?, data: Data,
                traceparent: String? = nil) {
        self.eventId = eventId
        self.type = type
        self.schemaVersion = schemaVersion
        self.streamId = streamId
        self.streamVersion = streamVersion
        self.tenantId = tenantId
        self.occurredAt = occurredAt
        self.actor = actor
        self.correlationId = correlationId
        self.causationId = causationId
        self.data = data
        self.traceparent = traceparent
    }
}

/// Who caused an event: a staff user, an API key, the system itself, or the client.
public struct Actor: Sendable, Equatable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        case user, apiKey = "api_key", system, client
    }

    public var kind: Kind
    /// The user's or key's id; never a secret.
    public var id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    public static let system = Actor(kind: .system, id: "clientele")
}
