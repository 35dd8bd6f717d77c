import Foundation

/// A client's id within the tenant it is asked for: one entry of a batch lookup
/// (`POST` `InternalPaths.clientLookups`).
///
/// The gateway gathers the single-client reads its event loop is serving at once into one
/// such request; the search projection answers all of them with one statement.
public struct TenantClientId: Sendable, Hashable {
    public var id: UUID
    public var tenantId: UUID

    /// The most entries one lookup request may carry.
    public static let maxPerLookup = 128

    public init(id: UUID, tenantId: UUID) {
        self.id = id
        self.tenantId = tenantId
    }
}
