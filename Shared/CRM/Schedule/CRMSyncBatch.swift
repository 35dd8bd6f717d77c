import Foundation

/// One request's worth of changes for one company's CRM: changes of one kind, at most one
/// per client (the latest waiting), at most `kind.maxInputs`.
public struct CRMSyncBatch: Sendable, Equatable {
    /// Unique within the schedule that made it.
    public var id: Int64
    public var tenantId: UUID
    public var kind: CRMRequestKind
    public var changes: [CRMChange]
    /// The CRM record ids known for the batch's clients (an archive addresses records by them).
    public var objectIds: [UUID: String]

    public init(id: Int64, tenantId: UUID, kind: CRMRequestKind, changes: [CRMChange], objectIds: [UUID: String]) {
        self.id = id
        self.tenantId = tenantId
        self.kind = kind
        self.changes = changes
        self.objectIds = objectIds
    }
}

/// A change the sync gave up on, waiting for an operator (`clientctl crm retry`); the
/// client's later changes wait behind it.
public struct CRMDeadLetter: Sendable, Equatable {
    public var change: CRMChange
    /// Calls made for it (1 for a change the CRM rejected outright).
    public var attempts: Int
    /// Why: the HTTP status and the CRM's answer, or the last failure.
    public var reason: String

    public init(change: CRMChange, attempts: Int, reason: String) {
        self.change = change
        self.attempts = attempts
        self.reason = reason
    }
}

/// What completing a batch did, for the caller to store and count.
public enum CRMSyncEffect: Sendable, Equatable {
    /// The CRM holds `change` (its record id, for an upsert).
    case synced(CRMChange, objectId: String?)
    /// The change failed; it is tried again after `after` (`attempts` so far).
    case retrying(CRMChange, attempts: Int, after: Duration)
    case deadLettered(CRMDeadLetter)
}
