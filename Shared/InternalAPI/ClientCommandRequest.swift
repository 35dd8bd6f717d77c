import ClientDomain
import Foundation
import JSON

/// A client command sent by the gateway to the command service
/// (`POST` `InternalPaths.clientCommands`). The gateway has authenticated the caller and
/// resolved the tenant; the command service validates and decides. The request, its token
/// and the response are coded by hand (`ClientCommandRequest+JSON.swift`): every write
/// sends them.
public struct ClientCommandRequest: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case create, update, delete, setPortalPassword, recordActivity, attachDocument, removeDocument, changeCareRecord
    }

    public var command: Kind
    public var clientId: UUID
    public var tenantId: UUID
    /// The new client's profile (create only).
    public var profile: ClientProfile?
    /// The fields to change (update only).
    public var changes: ClientProfileChanges?
    /// From `If-Match`: the version the caller last saw.
    public var expectedVersion: Int64?
    public var actor: Actor
    /// From `Idempotency-Key`: a repeat of the same key and scope returns the first outcome.
    public var idempotency: IdempotencyToken?
    /// The client's new portal password as a `PasswordHash` string (setPortalPassword; on
    /// create, a temporary one); the command service stores it beside the event store, never
    /// in an event.
    public var portalPasswordHash: String?
    /// recordActivity only: whether the activity was a submission.
    public var submission: Bool?
    /// attachDocument only: the stored document to attach.
    public var document: DocumentReference?
    /// removeDocument only: the document to detach.
    public var documentId: UUID?
    /// changeCareRecord only: the goal, task, medication or appointment to add or change.
    public var careRecord: CareRecordChange?

    public init(command: Kind, clientId: UUID, tenantId: UUID, profile: ClientProfile? = nil, changes: ClientProfileChanges? = nil,
                expectedVersion: Int64? = nil, actor: Actor, idempotency: IdempotencyToken? = nil,
                portalPasswordHash: String? = nil, submission: Bool? = nil, document: DocumentReference? = nil,
                documentId: UUID? = nil, careRecord: CareRecordChange? = nil) {
        self.careRecord = careRecord
        self.document = document
        self.documentId = documentId
        self.submission = submission
        self.portalPasswordHash = portalPasswordHash
        self.command = command
        self.clientId = clientId
        self.tenantId = tenantId
        self.profile = profile
        self.changes = changes
        self.expectedVersion = expectedVersion
        self.actor = actor
        self.idempotency = idempotency
    }
}

/// A care record to add or change (`ChangeCareRecord` without the client and tenant, which
/// the request carries).
public struct CareRecordChange: Sendable, Equatable {
    public var kind: CareRecordKind
    public var change: ClientCareRecordChanged.Change
    public var id: UUID
    public var goalId: UUID?
    public var fields: [String: JSONValue]

    public init(kind: CareRecordKind, change: ClientCareRecordChanged.Change, id: UUID, goalId: UUID? = nil,
                fields: [String: JSONValue]) {
        self.kind = kind
        self.change = change
        self.id = id
        self.goalId = goalId
        self.fields = fields
    }
}

/// An idempotency key as the command service keeps it.
///
/// `scope` names the caller (for example `api_key:<id>`), so two callers' keys never
/// collide; `requestHash` is a digest of the request, so the same key with a different
/// body is refused (422) instead of silently answered with the first outcome.
public struct IdempotencyToken: Sendable, Equatable {
    public var scope: String
    public var key: String
    public var requestHash: String

    public init(scope: String, key: String, requestHash: String) {
        self.scope = scope
        self.key = key
        self.requestHash = requestHash
    }
}

/// What the command service answers to a command.
public struct ClientCommandResponse: Sendable, Equatable {
    /// The client after the command; nil after a delete.
    public var client: ClientRecord?
    /// The stream version the command left the client at (the version to wait for).
    public var version: Int64
    /// True when this answers a repeated idempotency key: nothing new was written.
    public var replayed: Bool
    /// The documents the command took from the client (a replaced passport, a removed
    /// document): the gateway has the document store delete them.
    public var detachedDocumentIds: [UUID]
    /// changeCareRecord only: the record as the command left it.
    public var careRecord: CareRecord?

    public init(client: ClientRecord?, version: Int64, replayed: Bool, detachedDocumentIds: [UUID] = [], careRecord: CareRecord? = nil) {
        self.careRecord = careRecord
        self.client = client
        self.version = version
        self.replayed = replayed
        self.detachedDocumentIds = detachedDocumentIds
    }
}
