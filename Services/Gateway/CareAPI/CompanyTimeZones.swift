import Foundation
import Identity

/// The companies' time zones (`IdentityStore.timeZone(ofCompany:)`), each remembered for
/// `lifetime` (a minute), so an appointment read costs no query for it. A change made through
/// this gateway (`PATCH /api/companies/:id`) is forgotten at once (`forget`); one made
/// elsewhere (another gateway, `clientctl company time-zone`) shows within a minute.
struct CompanyTimeZones: Sendable {
    static let lifetime = Duration.seconds(60)
    static let capacity = 10_000

    let identity: IdentityStore
    private let cache = ExpiringCache<UUID, TimeZone>(lifetime: CompanyTimeZones.lifetime, capacity: CompanyTimeZones.capacity)

    init(identity: IdentityStore) {
        self.identity = identity
    }

    func zone(of companyId: UUID) async throws -> TimeZone {
        if let zone = cache.value(for: companyId) { return zone }
        let generation = cache.generation
        let zone = try await identity.timeZone(ofCompany: companyId)
        cache.store(zone, for: companyId, readIn: generation)
        return zone
    }

    /// Forgets the company's zone (it was just changed), so the next read looks it up.
    func forget(_ companyId: UUID) {
        cache.remove(companyId)
    }
}
