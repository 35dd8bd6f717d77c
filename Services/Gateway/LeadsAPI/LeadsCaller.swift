import ClientDomain
import Errors
import Foundation
import Identity
import InternalAPI

/// A staff caller of the leads API, with the company scoping the document describes.
///
/// A caller who acts in every company (super-admin, through `companies.manage`) sees every
/// company's leads; anyone else only those of the companies it belongs to. A `company`
/// parameter or field narrows to one company, which must exist and be the caller's: a
/// malformed one is 400 and one the caller may not use 403, both
/// `{"message": "Invalid company ID"}` as the document writes.
struct LeadsCaller: Sendable {
    let staff: StaffCaller

    static let invalidCompany = "Invalid company ID"

    /// The tenants a list may show: `companyParameter` (a company number) when given, else
    /// all the caller's companies.
    func listScope(companyParameter: String?, identity: IdentityStore) async throws -> ClientListQuery.TenantScope {
        guard let companyParameter else {
            return staff.actsInEveryCompany ? .everyTenant : .tenants(staff.user.companyIds.sorted { $0.uuidString < $1.uuidString })
        }
        guard let number = Int64(companyParameter), number > 0 else {
            throw ClienteleError(.invalidArgument, Self.invalidCompany, context: ["parameter": "company"])
        }
        return .tenants([try await company(number: number, identity: identity).id])
    }

    /// The company numbered `number`, if the caller may act in it; 403 otherwise.
    func company(number: Int64, identity: IdentityStore) async throws -> Company {
        guard let company = try await identity.company(number: number), staff.reaches(anyOf: [company.id]) else {
            throw ClienteleError(.permissionDenied, Self.invalidCompany)
        }
        return company
    }

    /// Every tenant the caller may see a single lead in.
    var readScope: ClientListQuery.TenantScope {
        staff.actsInEveryCompany ? .everyTenant : .tenants(staff.user.companyIds.sorted { $0.uuidString < $1.uuidString })
    }

    /// Whether the caller may read any lead of its companies, or only those assigned to it.
    func requireRead() throws {
        guard staff.can(Permission.leadsRead) || staff.can(Permission.leadsReadAssigned) else {
            throw Self.forbidden
        }
    }

    /// 403 unless the caller may read `record`: any lead with `leads.read`, an assigned one
    /// with `leads.read_assigned`.
    func requireRead(_ record: ClientRecord) throws {
        if staff.can(Permission.leadsRead) { return }
        let assigned = record.profile.agents?.contains { $0.agentId == staff.user.number } ?? false
        guard staff.can(Permission.leadsReadAssigned), assigned else {
            throw ClienteleError(.permissionDenied, "Forbidden: you may read only the clients assigned to you")
        }
    }

    func require(_ permission: String) throws {
        guard staff.can(permission) else { throw Self.forbidden }
    }

    static let forbidden = ClienteleError(.permissionDenied, "Forbidden: your role does not allow this")

    var actor: Actor { Actor(kind: .user, id: staff.user.id.lowercasedString) }
}
