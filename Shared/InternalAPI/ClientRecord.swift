import ClientDomain
import Foundation
import JSON

/// A client as the internal services exchange it: the command service returns it after a
/// write, the search projection from its read model. Each gateway adapter renders it in its
/// own API's shape. Coded by hand (`ClientRecord+JSON.swift`): it is on every read's path.
public struct ClientRecord: Sendable, Equatable {
    public var id: UUID
    public var tenantId: UUID
    public var profile: ClientProfile
    /// The stream version: the client's ETag.
    public var version: Int64
    public var createdAt: Date
    public var updatedAt: Date
    /// The public sequential id (nil for clients created before numbers existed).
    public var number: Int64?
    /// Who created the client.
    public var createdBy: Actor?
    /// Whether the client has set a portal password.
    public var hasJoined: Bool
    /// When the client was last active, if ever.
    public var lastActiveAt: Date?
    /// How many submissions the client made.
    public var submissionCount: Int64
    /// The client's documents, oldest first.
    public var documents: [DocumentReference]
    /// The care goals (with tasks and history) and medications as the search read model keeps
    /// them (`{goals: [...], medications: [...]}`); nil without any, and in the command
    /// service's answers (which carry the record a care command changed instead).
    public var careRecords: JSONValue?

    public init(id: UUID, tenantId: UUID, profile: ClientProfile, version: Int64, createdAt: Date, updatedAt: Date,
                number: Int64? = nil, createdBy: Actor? = nil, hasJoined: Bool = false, lastActiveAt: Date? = nil,
                submissionCount: Int64 = 0, documents: [DocumentReference] = [], careRecords: JSONValue? = nil) {
        self.careRecords = careRecords
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
    }

    /// The record of a live client; nil for a deleted one.
    public init?(_ client: Client) {
        guard !client.isDeleted else { return nil }
        self.init(id: client.id, tenantId: client.tenantId, profile: client.profile, version: client.version,
                  createdAt: client.createdAt, updatedAt: client.updatedAt, number: client.number,
                  createdBy: client.createdBy, hasJoined: client.hasJoined, lastActiveAt: client.lastActiveAt,
                  submissionCount: client.submissionCount, documents: client.documents)
    }
}
