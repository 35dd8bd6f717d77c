import Foundation
import JSON

/// What a caller asks of a client. The command service decides which events follow.
public enum ClientCommand: Sendable, Equatable {
    case create(CreateClient)
    case update(UpdateClient)
    case delete(DeleteClient)
    case setPortalPassword(SetPortalPassword)
    case recordActivity(RecordActivity)
    case attachDocument(AttachDocument)
    case removeDocument(RemoveDocument)
    case changeCareRecord(ChangeCareRecord)
    case erase(EraseClient)

    public var clientId: UUID {
        switch self {
        case .create(let command): command.clientId
        case .update(let command): command.clientId
        case .delete(let command): command.clientId
        case .setPortalPassword(let command): command.clientId
        case .recordActivity(let command): command.clientId
        case .attachDocument(let command): command.clientId
        case .removeDocument(let command): command.clientId
        case .changeCareRecord(let command): command.clientId
        case .erase(let command): command.clientId
        }
    }

    /// The version the caller expects the client to be at (from `If-Match`), if it said.
    public var expectedVersion: Int64? {
        switch self {
        case .create: nil
        case .update(let command): command.expectedVersion
        case .delete(let command): command.expectedVersion
        case .setPortalPassword, .recordActivity, .attachDocument, .removeDocument, .changeCareRecord, .erase: nil
        }
    }

    public var tenantId: UUID {
        switch self {
        case .create(let command): command.tenantId
        case .update(let command): command.tenantId
        case .delete(let command): command.tenantId
        case .setPortalPassword(let command): command.tenantId
        case .recordActivity(let command): command.tenantId
        case .attachDocument(let command): command.tenantId
        case .removeDocument(let command): command.tenantId
        case .changeCareRecord(let command): command.tenantId
        case .erase(let command): command.tenantId
        }
    }
}

/// Create a client with this id (chosen by the caller's adapter) and profile.
///
/// `number` is the public sequential id the command service drew for it, if any.
public struct CreateClient: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID
    public var profile: ClientProfile
    public var number: Int64?

    public init(clientId: UUID, tenantId: UUID, profile: ClientProfile, number: Int64? = nil) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.profile = profile
        self.number = number
    }
}

/// Record that the client was active, and with `submission` that it submitted something.
public struct RecordActivity: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID
    public var submission: Bool

    public init(clientId: UUID, tenantId: UUID, submission: Bool) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.submission = submission
    }
}

/// Record that the client's portal password was set. The password itself never enters the
/// domain: the command service stores its hash beside the event, in the same transaction.
public struct SetPortalPassword: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID

    public init(clientId: UUID, tenantId: UUID) {
        self.clientId = clientId
        self.tenantId = tenantId
    }
}

/// Change some profile fields; with `expectedVersion`, only if the client is at that version.
public struct UpdateClient: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID
    public var changes: ClientProfileChanges
    public var expectedVersion: Int64?

    public init(clientId: UUID, tenantId: UUID, changes: ClientProfileChanges, expectedVersion: Int64? = nil) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.changes = changes
        self.expectedVersion = expectedVersion
    }
}

/// Delete the client; with `expectedVersion`, only if the client is at that version.
public struct DeleteClient: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID
    public var expectedVersion: Int64?

    public init(clientId: UUID, tenantId: UUID, expectedVersion: Int64? = nil) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.expectedVersion = expectedVersion
    }
}

/// Erase the client (privacy): allowed once on any existing client of the tenant, a deleted
/// one included.
public struct EraseClient: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID

    public init(clientId: UUID, tenantId: UUID) {
        self.clientId = clientId
        self.tenantId = tenantId
    }
}

/// Attach a stored document to the client; a passport replaces the client's passport.
public struct AttachDocument: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID
    public var document: DocumentReference

    public init(clientId: UUID, tenantId: UUID, document: DocumentReference) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.document = document
    }
}

/// Detach one of the client's documents.
public struct RemoveDocument: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID
    public var documentId: UUID

    public init(clientId: UUID, tenantId: UUID, documentId: UUID) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.documentId = documentId
    }
}

/// Add or change one of the client's goals, goal tasks, medications or appointments.
///
/// `id` is the record's (chosen by the caller's adapter when adding); `goalId` names a task's
/// goal; `fields` are the fields to set (`null` clears an optional one). Adding takes
/// `CareRecordSchema.defaults` for the fields not given.
public struct ChangeCareRecord: Sendable, Equatable {
    public var clientId: UUID
    public var tenantId: UUID
    public var kind: CareRecordKind
    public var change: ClientCareRecordChanged.Change
    public var id: UUID
    public var goalId: UUID?
    public var fields: [String: JSONValue]

    public init(clientId: UUID, tenantId: UUID, kind: CareRecordKind, change: ClientCareRecordChanged.Change, id: UUID,
                goalId: UUID? = nil, fields: [String: JSONValue]) {
        self.clientId = clientId
        self.tenantId = tenantId
        self.kind = kind
        self.change = change
        self.id = id
        self.goalId = goalId
        self.fields = fields
    }
}
