import Foundation
import JSON

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
    case documentAttached(ClientDocumentAttached)
    case documentReplaced(ClientDocumentReplaced)
    case documentRemoved(ClientDocumentRemoved)
    case careRecordChanged(ClientCareRecordChanged)
    case erased(ClientErased)

    public var type: String {
        switch self {
        case .created: ClientCreated.type
        case .profileChanged: ClientProfileChanged.type
        case .deleted: ClientDeleted.type
        case .portalPasswordSet: ClientPortalPasswordSet.type
        case .activityRecorded: ClientActivityRecorded.type
        case .documentAttached: ClientDocumentAttached.type
        case .documentReplaced: ClientDocumentReplaced.type
        case .documentRemoved: ClientDocumentRemoved.type
        case .careRecordChanged(let event): event.type
        case .erased: ClientErased.type
        }
    }

    public var schemaVersion: Int {
        switch self {
        case .created: ClientCreated.schemaVersion
        case .profileChanged: ClientProfileChanged.schemaVersion
        case .deleted: ClientDeleted.schemaVersion
        case .portalPasswordSet: ClientPortalPasswordSet.schemaVersion
        case .activityRecorded: ClientActivityRecorded.schemaVersion
        case .documentAttached: ClientDocumentAttached.schemaVersion
        case .documentReplaced: ClientDocumentReplaced.schemaVersion
        case .documentRemoved: ClientDocumentRemoved.schemaVersion
        case .careRecordChanged: ClientCareRecordChanged.schemaVersion
        case .erased: ClientErased.schemaVersion
        }
    }

    /// The event's JSON at its current schema version (keys sorted, so equal events encode equally).
    ///
    /// Written from `json` without `JSONEncoder` (the command service encodes every event it
    /// appends); the text is what `JSONEncoder` with sorted keys and unescaped
    /// slashes writes, except that control characters other than tab, newline and carriage
    /// return are written `\u00XX` (the same string).
    public func encode() throws -> Data {
        Data(json.serialized())
    }

    /// Reads an envelope's data, upcasting it to the current schema first.
    ///
    /// Parsed with `JSONParser` and read with `JSONObjectReader` (as strict as `JSONDecoder`,
    /// which every projection paid for per event); data that does not fit the type's schema
    /// is `EventDecodingError.malformed`.
    /// `parsed`, when given, is the envelope's data already parsed (an opened sealed event's,
    /// see `EventSealing`): read as it is at the current schema version, upcast first otherwise.
    public static func decode(_ envelope: EventEnvelope, parsed: JSONValue? = nil) throws -> ClientEvent {
        let malformed = EventDecodingError.malformed(type: envelope.type, version: envelope.schemaVersion)
        let value: JSONValue
        if let parsed, try EventUpcaster.standard.isCurrent(type: envelope.type, version: envelope.schemaVersion) {
            value = parsed
        } else {
            let data = try EventUpcaster.standard.upcast(type: envelope.type, version: envelope.schemaVersion,
                                                         data: parsed.map { Data($0.serialized()) } ?? envelope.data)
            guard let read = try? data.withUnsafeBytes({ bytes in try JSONParser.parse(bytes) }) else { throw malformed }
            value = read
        }
        do {
            return try ClientEvent(type: envelope.type, json: value)
        } catch {
            throw malformed
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

/// The client was erased (privacy: its data is to be forgotten everywhere). Carries nothing.
///
/// Read models remove every trace of the client but an ids-only tombstone; the stream accepts
/// no further commands (every command answers not found, as for a stream that does not
/// exist). Allowed on any existing client, a deleted one included, once.
public struct ClientErased: Sendable, Equatable {
    public static let type = "client.erased"
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

/// A document was attached to the client (a care document, or its first passport).
public struct ClientDocumentAttached: Sendable, Equatable {
    public static let type = "client.document_attached"
    public static let schemaVersion = 1
    public var document: DocumentReference

    public init(document: DocumentReference) { self.document = document }
}

/// A document took the place of another of the client's (a new passport replaces the old
/// one); the replaced one is no longer the client's.
public struct ClientDocumentReplaced: Sendable, Equatable {
    public static let type = "client.document_replaced"
    public static let schemaVersion = 1
    public var replacedId: UUID
    public var document: DocumentReference

    public init(replacedId: UUID, document: DocumentReference) {
        self.replacedId = replacedId
        self.document = document
    }
}

/// A document is no longer the client's.
public struct ClientDocumentRemoved: Sendable, Equatable {
    public static let type = "client.document_removed"
    public static let schemaVersion = 1
    public var documentId: UUID

    public init(documentId: UUID) { self.documentId = documentId }
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
