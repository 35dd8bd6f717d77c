import ClientDomain
import Foundation
import Identity
import InternalAPI

/// Who may do what with which care client: a plain decision from the caller's permissions,
/// companies and user id and the client's company and relations, tested as a matrix.
///
/// - `care.read` reads, `care.write` creates and changes, `care.export` exports,
///   `care.audit.read` reads the access audit; `care.medical.read` shows `medicalInfo`,
///   `care.medical.write` changes it.
/// - `care.every_client` reaches every client of the caller's companies (of every company
///   with `companies.manage`); without it the caller reaches the clients related to it: those
///   whose `ndisDetails.supportCoordinator` or `planManager` it is, and (part 2) those it has
///   appointments with.
/// - Another company's client is "not found", exactly like a missing one; a client of the
///   caller's company that it does not reach is "Unauthorized to access this client".
/// - A section the caller may not see is left out of the answer, not an error.
struct CareAccess: Sendable, Equatable {
    let userId: UUID
    let permissions: Set<String>
    let companyIds: Set<UUID>

    init(userId: UUID, permissions: Set<String>, companyIds: Set<UUID>) {
        self.userId = userId
        self.permissions = permissions
        self.companyIds = companyIds
    }

    init(_ staff: StaffCaller) {
        self.init(userId: staff.user.id, permissions: staff.permissions, companyIds: staff.user.companyIds)
    }

    /// What happens to a request for one client.
    enum Decision: Equatable {
        case notFound
        case unauthorized
        case allowed
    }

    func can(_ permission: String) -> Bool { permissions.contains(permission) }

    var actsInEveryCompany: Bool { can(Permission.companiesManage) }
    var reachesEveryClient: Bool { can(Permission.careEveryClient) }

    /// Whether `companyId` is one of the caller's (or the caller acts in every company).
    func isInCompany(_ companyId: UUID) -> Bool { actsInEveryCompany || companyIds.contains(companyId) }

    /// Whether the caller reaches a client of its company with these relations.
    func reaches(supportCoordinator: String?, planManager: String?) -> Bool {
        if reachesEveryClient { return true }
        let me = userId.lowercasedString
        return supportCoordinator == me || planManager == me
    }

    func reaches(_ record: ClientRecord) -> Bool {
        reaches(supportCoordinator: record.profile.care?.supportCoordinator, planManager: record.profile.care?.planManager)
    }

    /// The decision for `permission` (`care.read` or `care.write`) on `record`.
    func decide(_ permission: String, on record: ClientRecord) -> Decision {
        guard isInCompany(record.tenantId) else { return .notFound }
        return can(permission) && reaches(record) ? .allowed : .unauthorized
    }

    /// The details' sections the caller sees, in the document's order.
    var visibleSections: [String] {
        var sections = [CareSchema.personalInfo, CareSchema.address, CareSchema.ndisDetails]
        if can(Permission.careMedicalRead) { sections.append(CareSchema.medicalInfo) }
        sections += [CareSchema.emergencyContacts, "goals"]
        return sections
    }

    /// The relations a list is limited to (nil: every client of the scope).
    var listRelation: (coordinatedBy: UUID, planManagedBy: UUID)? {
        reachesEveryClient ? nil : (userId, userId)
    }
}
