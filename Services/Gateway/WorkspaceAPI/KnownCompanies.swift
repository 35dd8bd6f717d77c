import Foundation
import Identity
import Synchronization

/// Which companies exist, remembered once seen: companies are never deleted, so a company
/// found once exists for good and costs no further lookup. An id not found is looked up again
/// each time (it may be created meanwhile). At most `capacity` ids are held; past that the
/// table starts over.
final class KnownCompanies: Sendable {
    let identity: IdentityStore
    let capacity: Int
    private let known = Mutex<Set<UUID>>([])

    init(identity: IdentityStore, capacity: Int = 100_000) {
        self.identity = identity
        self.capacity = capacity
    }

    func exists(_ id: UUID) async throws -> Bool {
        if known.withLock({ $0.contains(id) }) { return true }
        guard try await identity.company(id: id) != nil else { return false }
        known.withLock { known in
            if known.count >= capacity { known.removeAll(keepingCapacity: true) }
            known.insert(id)
        }
        return true
    }
}
