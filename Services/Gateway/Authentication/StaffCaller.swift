import Errors
import Foundation
import Identity

/// A logged-in staff user making a request, with the permissions their roles grant now.
struct StaffCaller: Sendable {
    var user: User
    var permissions: Set<String>
    var claims: SessionClaims

    /// Whether the caller's roles grant `permission`.
    func can(_ permission: String) -> Bool { permissions.contains(permission) }

    /// Throws `permissionDenied` unless the caller's roles grant `permission`.
    func require(_ permission: String) throws {
        guard can(permission) else {
            throw ClienteleError(.permissionDenied, "Your roles do not grant \(permission)")
        }
    }

    /// Whether the caller acts in every company (`companies.manage`), not only its own.
    var actsInEveryCompany: Bool { can(Permission.companiesManage) }

    /// Whether the caller may act on something belonging to any of `companyIds`.
    func reaches(anyOf companyIds: Set<UUID>) -> Bool {
        actsInEveryCompany || !user.companyIds.isDisjoint(with: companyIds)
    }
}
