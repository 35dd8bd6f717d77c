import ClientDomain
import Foundation

/// A page of clients from the search projection.
public struct ClientListPage: Sendable, Equatable {
    public var data: [ClientRecord]
    public var total: Int

    public init(data: [ClientRecord], total: Int) {
        self.data = data
        self.total = total
    }
}

/// A list query against the search projection (`GET` `InternalPaths.clients`), within the
/// tenants of its `scope`. Encoded as query parameters.
public struct ClientListQuery: Sendable, Equatable {
    /// Which tenants' clients a query may see. The gateway decides it from the caller;
    /// `everyTenant` only for a caller who acts in every company.
    public enum TenantScope: Sendable, Equatable {
        case tenants([UUID])
        case everyTenant
    }

    /// The most tenants one query may name.
    public static let maxTenants = 1000

    public enum SortField: String, Sendable, CaseIterable {
        case name, phone, email, status, createdAt, updatedAt, displayName, company, totalSubmissions
    }

    public enum SortOrder: String, Sendable, CaseIterable {
        case asc, desc
    }

    public var scope: TenantScope
    /// Case-insensitive substring over name, display name, phone and email.
    public var text: String?
    /// Any of these statuses; empty means all.
    public var statuses: [ClientStatus]
    public var sortBy: SortField
    public var sortOrder: SortOrder
    public var limit: Int
    public var offset: Int
    /// Only clients this agent (a user number) is assigned to.
    public var agent: Int64?
    /// Only the client with this public number.
    public var number: Int64?
    /// The admin API's further filters.
    public var filters = ClientFilters()
    /// The care API's filters (and keyset paging).
    public var care = CareFilters()

    /// A query within one tenant.
    public init(tenantId: UUID, text: String? = nil, statuses: [ClientStatus] = [], sortBy: SortField = .createdAt,
                sortOrder: SortOrder = .asc, limit: Int = 50, offset: Int = 0) {
        self.init(scope: .tenants([tenantId]), text: text, statuses: statuses, sortBy: sortBy, sortOrder: sortOrder,
                  limit: limit, offset: offset)
    }

    public init(scope: TenantScope, text: String? = nil, statuses: [ClientStatus] = [], sortBy: SortField = .createdAt,
                sortOrder: SortOrder = .asc, limit: Int = 50, offset: Int = 0, agent: Int64? = nil, number: Int64? = nil) {
        self.scope = scope
        self.agent = agent
        self.number = number
        self.text = text
        self.statuses = statuses
        self.sortBy = sortBy
        self.sortOrder = sortOrder
        self.limit = limit
        self.offset = offset
    }
}

/// Whether the search projection shows a client at (at least) a version yet.
public struct ClientVisibility: Sendable, Equatable {
    public var visible: Bool
    /// The version the projection holds for the client, if any (a deleted client keeps its last).
    public var version: Int64?
    /// Whether the write asked about waits in the projection's quarantine: the client's stream
    /// is parked at its version or later, and it shows only once an operator retries it.
    public var parked: Bool

    public init(visible: Bool, version: Int64?, parked: Bool = false) {
        self.visible = visible
        self.version = version
        self.parked = parked
    }

    /// The answer about a write at `version`, from what the projection holds.
    public init(_ held: StreamVisibility, version: Int64) {
        self.init(visible: held.isVisible(version), version: held.applied, parked: !held.isVisible(version) && held.isParked(version))
    }
}
