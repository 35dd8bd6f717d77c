import ClientDomain
import Foundation
import Identity

/// The workspaces' custom-field definitions as the workspace API reads them.
///
/// Writes (a client created or changed) check their values against `recent` definitions, and
/// answers (a client shown) type their values with them: up to the cache's lifetime (2 s)
/// old. A change of definitions through this gateway is seen at once (`invalidate`, and a
/// read racing the change is not kept), one through another gateway instance within the
/// lifetime, as for sessions and API keys. At most `capacity` (10,000) workspaces are held
/// (`ExpiringCache`).
final class CustomFieldCatalog: Sendable {
    /// A workspace's definitions, by key.
    typealias Definitions = [String: CustomFieldDefinition]

    let identity: IdentityStore
    private let cache: ExpiringCache<UUID, Definitions>

    init(identity: IdentityStore, lifetime: Duration = .seconds(2), capacity: Int = 10_000) {
        self.identity = identity
        self.cache = ExpiringCache(lifetime: lifetime, capacity: capacity)
    }

    /// The workspace's definitions now, from the database (remembered for the lifetime).
    private func current(_ workspaceId: UUID) async throws -> Definitions {
        let generation = cache.generation
        let stored = try await identity.customFieldDefinitions(companyId: workspaceId)
        let definitions = Dictionary(uniqueKeysWithValues: stored.map { ($0.definition.fieldKey, $0.definition) })
        cache.store(definitions, for: workspaceId, readIn: generation)
        return definitions
    }

    /// The workspace's definitions as read in the last lifetime, else from the database.
    func recent(_ workspaceId: UUID) async throws -> Definitions {
        if let definitions = cache.value(for: workspaceId) { return definitions }
        return try await current(workspaceId)
    }

    /// Forgets the workspace's definitions: the next `recent` reads them again.
    func invalidate(_ workspaceId: UUID) { cache.remove(workspaceId) }
}
