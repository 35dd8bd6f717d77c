import Foundation

/// What one client's CRM contact should become as of one version of the client's stream.
public struct CRMChange: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        /// Create or update the contact with these properties (batch upsert).
        case upsert(CRMContactProperties)
        /// Archive the contact (batch archive; the client was deleted).
        case archive
        /// Delete the contact and its history for good (gdpr-delete; the client was erased).
        case gdprDelete

        /// Which request carries it: changes of one kind share a batch.
        public var kind: CRMRequestKind {
            switch self {
            case .upsert: .upsert
            case .archive: .archive
            case .gdprDelete: .gdprDelete
            }
        }
    }

    public var tenantId: UUID
    public var clientId: UUID
    /// The client's stream version this change reflects.
    public var version: Int64
    public var operation: Operation

    public init(tenantId: UUID, clientId: UUID, version: Int64, operation: Operation) {
        self.tenantId = tenantId
        self.clientId = clientId
        self.version = version
        self.operation = operation
    }
}

/// The three requests of the HubSpot contacts contract the sync sends.
public enum CRMRequestKind: String, Sendable, Equatable, CaseIterable {
    case upsert, archive, gdprDelete = "gdpr_delete"

    /// The most inputs one request carries (HubSpot's batch limit; gdpr-delete takes one).
    public var maxInputs: Int {
        switch self {
        case .upsert, .archive: 100
        case .gdprDelete: 1
        }
    }
}
