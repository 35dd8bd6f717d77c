import ClientDomain
import Foundation

/// A page of clients from the search projection.
public struct ClientListPage: Codable, Sendable, Equatable {
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
public struct ClientVisibility: Codable, Sendable, Equatable {
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

/// The internal routes, shared by the services that serve them and the gateway that calls them.
public enum InternalPaths {
    /// Command service: `POST` a `ClientCommandRequest`, answered with a `ClientCommandResponse`.
    public static let clientCommands = "/internal/v1/client-commands"
    /// Search projection: `GET` with `ClientListQuery` parameters, answered with a `ClientListPage`.
    public static let clients = "/internal/v1/clients"
    /// Search projection: `GET /internal/v1/clients/:id?tenantId=` → `ClientRecord` or 404.
    public static func client(_ id: UUID) -> String { "\(clients)/\(id.lowercasedString)" }
    /// Search projection: `GET .../:id/visibility?version=V&timeoutMs=T` → `ClientVisibility`,
    /// answering as soon as the client is at `version` or later, else after `timeoutMs`.
    public static func visibility(_ id: UUID) -> String { "\(client(id))/visibility" }
    /// Search projection: `GET ?after=N&epoch=E&timeoutMs=T` → the `AppliedPage` after cursor
    /// `N` of feed `E` (both left out: start following), waiting up to `T` ms for a commit.
    public static let applied = "/internal/v1/applied"
    /// Search projection: `POST` a batch of `TenantClientId`s (`TenantClientId+JSON`), answered
    /// with one record or `null` per lookup, in order. Not under `clients`, so a projection
    /// without it answers the router's 404 (`HTTPError.noRouteCode`), not a 405 of `:id`.
    public static let clientLookups = "/internal/v1/client-lookups"
    /// Stats projection: `GET` with `tenantId` (comma-separated UUIDs) or `allTenants=true`,
    /// and optionally `asOf` (RFC 3339; default now), answered with a `ClientStats`.
    public static let stats = "/internal/v1/stats"
    /// Document store: `POST ?use=passport|care&field=NAME[&fields=a,b]` a `multipart/form-data`
    /// body (streamed), answered 201 with a `DocumentUploadResult`; `DELETE ?clientId=` deletes a
    /// client's documents.
    public static let documents = "/internal/v1/documents"
    /// Document store: `GET` a `StoredDocument`, `DELETE` it.
    public static func document(_ id: UUID) -> String { "\(documents)/\(id.lowercasedString)" }
    /// Document store: `GET` the bytes (`Range` honoured, `ETag` the SHA-256).
    public static func documentContent(_ id: UUID) -> String { "\(document(id))/content" }
    /// Document store: `POST {"tenantId", "clientId"}` claims an upload for its client.
    public static func documentClaim(_ id: UUID) -> String { "\(document(id))/claim" }
    /// Document store: `POST` rehashes every file, answered with a `DocumentVerifyReport`.
    public static let documentVerification = "/internal/v1/document-verification"
    /// Document store: `POST` runs the sweep now (unclaimed uploads and unreferenced files past
    /// the grace period), answered with `{"uploads": n, "files": n}` removed.
    public static let documentSweep = "/internal/v1/document-sweep"
}
