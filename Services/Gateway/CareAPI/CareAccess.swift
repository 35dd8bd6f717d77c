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
///   whose `ndisDetails.supportCoordinator` or `planManager` it is, and those it attends as a
///   health carer (an appointment scheduled, or completed within
///   `CareFilters.attendanceWindowDays`).
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

    /// The user a list's relations are limited to (nil: every client of the scope): the
    /// clients it coordinates, plan-manages or attends as a health carer.
    var listRelation: UUID? {
        reachesEveryClient ? nil : userId
    }

    /// `decide`, with a health carer's appointments: a client the caller's relations do not
    /// reach is reached while the caller attends it (`attends`).
    func decide(_ permission: String, on record: ClientRecord, search: SearchClient) async throws -> Decision {
        let decision = decide(permission, on: record)
        guard decision == .unauthorized, can(permission), try await attends(record, search: search) else { return decision }
        return .allowed
    }

    /// `reaches`, with a health carer's appointments.
    func reaches(_ record: ClientRecord, search: SearchClient) async throws -> Bool {
        if reaches(record) { return true }
        return try await attends(record, search: search)
    }

    /// Whether the caller has an appointment with the client that gives it access: scheduled,
    /// or completed and ended within `CareFilters.attendanceWindowDays` (the search read
    /// model decides, at the time of the read).
    func attends(_ record: ClientRecord, search: SearchClient) async throws -> Bool {
        guard !reachesEveryClient, let number = record.number else { return false }
        var query = ClientListQuery(scope: .tenants([record.tenantId]), limit: 1)
        query.number = number
        query.care.attendedBy = userId
        return try await !search.list(query).data.isEmpty
    }
}
