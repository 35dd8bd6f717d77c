import Foundation

/// The events of a client's stream, typed.
///
/// Each case has a type name and a current schema version. `encode()` writes the current
/// version; `decode(_:)` reads any version it knows, upcasting older ones first.
public enum ClientEvent: Sendable, Equatable {
    case created(ClientCreated)
    case profileChanged(ClientProfileChanged)
    case deleted(ClientDeleted)
    case portalPasswordSet(ClientPortalPasswordSet)
    case activityRecorded(ClientActivityRecorded)

    public var type: String {
        switch self {
        case .created: ClientCreated.type
        case .profileChanged: ClientProfileChanged.type
        case .deleted: ClientDeleted.type
        case .portalPasswordSet: ClientPortalPasswordSet.type
        case .activityRecorded: ClientActivityRecorded.type
        }
    }

    public var schemaVersion: Int {
        switch self {
        case .created: ClientCreated.schemaVersion
        case .profileChanged: ClientProfileChanged.schemaVersion
        case .deleted: ClientDeleted.schemaVersion
        case .portalPasswordSet: ClientPortalPasswordSet.schemaVersion
        case .activityRecorded: ClientActivityRecorded.schemaVersion
        }
    }

    /// The event's JSON at its current schema version (keys sorted, so equal events encode equally).
    public func encode() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch self {
        case .created(let event): return try encoder.encode(event)
        case .profileChanged(let event): return try encoder.encode(event)
        case .deleted(let event): return try encoder.encode(event)
        case .portalPasswordSet(let event): return try encoder.encode(event)
        case .activityRecorded(let event): return try encoder.encode(event)
        }
    }

    /// Reads an envelope's data, upcasting it to the current schema first.
    public static func decode(_ envelope: EventEnvelope) throws -> ClientEvent {
        let data = try EventUpcaster.standard.upcast(type: envelope.type, version: envelope.schemaVersion, data: envelope.data)
        let decoder = JSONDecoder()
        switch envelope.type {
        case ClientCreated.type: return .created(try decoder.decode(ClientCreated.self, from: data))
        case ClientProfileChanged.type: return .profileChanged(try decoder.decode(ClientProfileChanged.self, from: data))
        case ClientDeleted.type: return .deleted(try decoder.decode(ClientDeleted.self, from: data))
        case ClientPortalPasswordSet.type:
            return .portalPasswordSet(try decoder.decode(ClientPortalPasswordSet.self, from: data))
        case ClientActivityRecorded.type:
            return .activityRecorded(try decoder.decode(ClientActivityRecorded.self, from: data))
        default: throw EventDecodingError.unknownType(envelope.type)
        }
    }
}

/// A client came into being with this profile.
///
/// Schema history: version 1 held the organization API's fields flat (`name`, `phone`,
/// `status`, `notes`); version 2 nests them in `profile` so every API's fields share one
/// shape. `EventUpcaster.standard` turns version 1 into version 2.
///
/// `number` is the client's public sequential id (the leads API shows ids as numbers),
/// assigned by the command service when the client is created; clients created before
/// numbers existed have none.
public struct ClientCreated: Sendable, Equatable, Codable {
    public static let type = "client.created"
    public static let schemaVersion = 2
    public var profile: ClientProfile
    public var number: Int64?

    public init(profile: ClientProfile, number: Int64? = nil) {
        self.profile = profile
        self.number = number
    }
}

/// Some of a client's profile fields changed; only the changed fields are present.
public struct ClientProfileChanged: Sendable, Equatable, Codable {
    public static let type = "client.profile_changed"
    public static let schemaVersion = 1
    public var changes: ClientProfileChanges

    public init(changes: ClientProfileChanges) { self.changes = changes }
}

/// The client was deleted. Read models drop it; the stream accepts no further commands.
public struct ClientDeleted: Sendable, Equatable, Codable {
    public static let type = "client.deleted"
    public static let schemaVersion = 1

    public init() {}
}

/// The client's portal password was set or changed (the client has joined the portal).
///
/// Carries nothing: the password's hash is kept by the command service beside the event
/// store, never in the log.
public struct ClientPortalPasswordSet: Sendable, Equatable, Codable {
    public static let type = "client.portal_password_set"
    public static let schemaVersion = 1

    public init() {}
}

/// The client was active in the portal at the event's time; with `submission`, it also
/// made one submission. Engagement figures (last active, submission counts) come only from
/// these events.
public struct ClientActivityRecorded: Sendable, Equatable, Codable {
    public static let type = "client.activity_recorded"
    public static let schemaVersion = 1
    public var submission: Bool

    public init(submission: Bool) { self.submission = submission }
}

/// An event that cannot be read.
public enum EventDecodingError: Error, Equatable, CustomStringConvertible {
    case unknownType(String)
    case unknownVersion(type: String, version: Int)
    case malformed(type: String, version: Int)

    public var description: String {
        switch self {
        case .unknownType(let type): "unknown event type \(type)"
        case .unknownVersion(let type, let version): "unknown schema version \(version) of \(type)"
        case .malformed(let type, let version): "malformed data for \(type) version \(version)"
        }
    }
}
