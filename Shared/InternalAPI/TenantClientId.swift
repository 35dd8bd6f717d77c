import Foundation

/// A client asked for within a tenant: one entry of a batch lookup
/// (`POST` `InternalPaths.clientLookups`).
///
/// The gateway gathers the single-client reads its event loop is serving at once into one
/// such request; the search projection answers all of them with one statement per kind of
/// key. A client is named by its id (always within a tenant) or by its public number (the
/// care API's ids), within a tenant or, without one, in any tenant: the caller then decides
/// what the record's tenant means for it (the care API answers a client outside the caller's
/// companies as not found, exactly as when none has the number).
public struct TenantClientId: Sendable, Hashable {
    /// What names the client.
    public enum Key: Sendable, Hashable {
        case id(UUID)
        case number(Int64)
    }

    public var key: Key
    /// The tenant the client must be in; nil (only with a number) for any tenant.
    public var tenantId: UUID?

    /// The most entries one lookup request may carry.
    public static let maxPerLookup = 128

    public init(id: UUID, tenantId: UUID) {
        self.key = .id(id)
        self.tenantId = tenantId
    }

    public init(number: Int64, tenantId: UUID?) {
        self.key = .number(number)
        self.tenantId = tenantId
    }

    /// Whether `record` is the client this lookup asks for (its key, in its tenant if any).
    public func matches(_ record: ClientRecord) -> Bool {
        if let tenantId, record.tenantId != tenantId { return false }
        switch key {
        case .id(let id): return record.id == id
        case .number(let number): return record.number == number
        }
    }
}
