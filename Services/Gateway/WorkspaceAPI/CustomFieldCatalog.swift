import ClientDomain
import Foundation
import Identity
import Synchronization

/// The workspaces' custom-field definitions as the workspace API reads them.
///
/// Writes (a client created or changed) check their values against `current`, read from the
/// database every time. Answers (a client shown) type their values with `recent`, which may
/// be up to `lifetime` (2 s) old: a change of definitions through this gateway is seen at once
/// (`invalidate`), one through another gateway instance within the lifetime. At most
/// `capacity` workspaces are held; when full, expired entries go first, then all of them.
final class CustomFieldCatalog: Sendable {
    /// A workspace's definitions, by key.
    typealias Definitions = [String: CustomFieldDefinition]

    private struct Entry {
        var definitions: Definitions
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        /// Moves on with every `invalidate`, so a read that began before a change is never
        /// remembered after it.
        var generation: UInt64 = 0
    }

    let identity: IdentityStore
    let lifetime: Duration
    let capacity: Int
    private let state = Mutex(State())

    init(identity: IdentityStore, lifetime: Duration = .seconds(2), capacity: Int = 10_000) {
        self.identity = identity
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The workspace's definitions now, from the database.
    func current(_ workspaceId: UUID) async throws -> Definitions {
        let generation = state.withLock { $0.generation }
        let stored = try await identity.customFieldDefinitions(companyId: workspaceId)
        let definitions = Dictionary(uniqueKeysWithValues: stored.map { ($0.definition.fieldKey, $0.definition) })
        remember(definitions, for: workspaceId, readIn: generation)
        return definitions
    }

    /// The workspace's definitions as read in the last `lifetime`, else from the database.
    func recent(_ workspaceId: UUID) async throws -> Definitions {
        let now = ContinuousClock.now
        if let entry = state.withLock({ $0.entries[workspaceId] }), entry.expires > now { return entry.definitions }
        return try await current(workspaceId)
    }

    /// Forgets the workspace's definitions: the next `recent` reads them again.
    func invalidate(_ workspaceId: UUID) {
        state.withLock { state in
            state.entries[workspaceId] = nil
            state.generation &+= 1
        }
    }

    private func remember(_ definitions: Definitions, for workspaceId: UUID, readIn generation: UInt64) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity, state.entries[workspaceId] == nil {
                state.entries = state.entries.filter { $0.value.expires > now }
                if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[workspaceId] = Entry(definitions: definitions, expires: now + lifetime)
        }
    }
}
