import Foundation

/// A client's current state, folded from its event stream.
///
/// `version` is the stream version of the last event applied; it is the client's ETag and
/// the expected version for optimistic concurrency.
public struct Client: Sendable, Equatable {
    public let id: UUID
    public let tenantId: UUID
    public private(set) var profile: ClientProfile
    public private(set) var version: Int64
    public let createdAt: Date
    public private(set) var updatedAt: Date
    public private(set) var isDeleted: Bool
    /// Whether the client was erased (`client.erased`); an erased client counts as deleted too.
    public private(set) var isErased: Bool = false
    /// The public sequential id drawn at creation (nil for clients older than numbers).
    public private(set) var number: Int64?
    /// Who created the client.
    public private(set) var createdBy: Actor?
    /// Whether the client has set a portal password.
    public private(set) var hasJoined: Bool = false
    /// When the client was last active (`client.activity_recorded`).
    public private(set) var lastActiveAt: Date?
    /// How many submissions the client made.
    public private(set) var submissionCount: Int64 = 0
    /// The client's documents, oldest first (at most one passport).
    public private(set) var documents: [DocumentReference] = []
    /// The client's goals, goal tasks, medications and appointments.
    public private(set) var careRecords = CareRecords()

    /// Folds a stream's envelopes, oldest first; nil for an empty stream.
    ///
    /// Throws when the stream does not start with `client.created` or has a gap, which
    /// would mean a corrupt store.
    public static func replay(_ envelopes: [EventEnvelope]) throws -> Client? {
        guard let first = envelopes.first else { return nil }
        guard first.streamVersion == 1, case .created(let created) = try ClientEvent.decode(first) else {
            throw ClientStreamError.doesNotStartWithCreation(streamId: first.streamId)
        }
        var client = Client(id: first.streamId, tenantId: first.tenantId, profile: created.profile, version: 1,
                            createdAt: first.occurredAt, updatedAt: first.occurredAt, isDeleted: false,
                            number: created.number, createdBy: first.actor)
        for envelope in envelopes.dropFirst() {
            guard envelope.streamVersion == client.version + 1 else {
                throw ClientStreamError.gap(streamId: client.id, expected: client.version + 1, found: envelope.streamVersion)
            }
            client.apply(try ClientEvent.decode(envelope), at: envelope.occurredAt)
        }
        return client
    }

    /// Applies one event that follows the current version.
    public mutating func apply(_ event: ClientEvent, at time: Date) {
        switch event {
        case .created(let created):
            profile = created.profile
            number = created.number
        case .profileChanged(let changed):
            profile = profile.applying(changed.changes)
        case .deleted:
            isDeleted = true
        case .erased:
            isDeleted = true
            isErased = true
        case .portalPasswordSet:
            hasJoined = true
        case .activityRecorded(let activity):
            lastActiveAt = time
            if activity.submission { submissionCount += 1 }
        case .documentAttached, .documentReplaced, .documentRemoved:
            documents.apply(event)
        case .careRecordChanged(let changed):
            careRecords.apply(changed)
        }
        version += 1
        updatedAt = time
    }

    public init(id: UUID, tenantId: UUID, profile: ClientProfile, version: Int64, createdAt: Date, updatedAt: Date, isDeleted: Bool,
                number: Int64? = nil, createdBy: Actor? = nil, hasJoined: Bool = false, lastActiveAt: Date? = nil,
                submissionCount: Int64 = 0, documents: [DocumentReference] = []) {
        self.documents = documents
        self.lastActiveAt = lastActiveAt
        self.submissionCount = submissionCount
        self.number = number
        self.createdBy = createdBy
        self.hasJoined = hasJoined
        self.id = id
        self.tenantId = tenantId
        self.profile = profile
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.isDeleted = isDeleted
    }
}

/// A stream that cannot be a client's: the store is corrupt.
public enum ClientStreamError: Error, Equatable {
    case doesNotStartWithCreation(streamId: UUID)
    case gap(streamId: UUID, expected: Int64, found: Int64)
}
