import ClientDomain
import Errors
import Foundation
import Identity
import InternalAPI

/// A staff caller of the care API's document routes: anyone whose roles grant
/// `care.documents` (super-admin, every company; admin, its own companies; the care roles,
/// the clients they reach as `CareAccess` says).
struct CareCaller: Sendable {
    let staff: StaffCaller

    static let forbidden = ClienteleError(.permissionDenied, "Forbidden: your role does not allow this")

    init(_ staff: StaffCaller) throws {
        guard staff.can(Permission.careDocuments) else { throw Self.forbidden }
        self.staff = staff
    }

    /// The tenants whose clients the caller reaches.
    var scope: ClientListQuery.TenantScope {
        staff.actsInEveryCompany ? .everyTenant : .tenants(staff.user.companyIds.sorted { $0.uuidString < $1.uuidString })
    }

    var actor: Actor { Actor(kind: .user, id: staff.user.id.lowercasedString) }
}
