import ClientDomain
import Errors
import Foundation
import HTTP
import Identity

/// A staff caller of the workspace API, in the workspace (company) its path names.
///
/// `:workspaceId` is the company's id as `/api/companies` shows it. A malformed or unknown id
/// and a company the caller does not belong to are the same 404, so a caller learns nothing
/// about other companies; a caller who acts in every company (`companies.manage`) reaches
/// every company that exists. The order of the checks is 401 (no session), 404 (no such
/// workspace for the caller), then 403 (a permission the caller's roles do not grant, named).
struct WorkspaceCaller: Sendable {
    let staff: StaffCaller
    let workspaceId: UUID

    static let workspaceNotFound = ClienteleError(.notFound, "Workspace not found")

    /// The caller of `request`, in its workspace, holding `permission`.
    static func resolve(_ request: HTTPRequest, authenticator: SessionAuthenticator, companies: KnownCompanies,
                        requiring permission: String) async throws -> WorkspaceCaller {
        let staff = try await authenticator.authenticate(request)
        guard let raw = request.pathParameters["workspaceId"], raw.utf8.count == 36, let id = UUID(canonical: raw) else {
            throw workspaceNotFound
        }
        if !staff.user.companyIds.contains(id) {
            guard staff.actsInEveryCompany, try await companies.exists(id) else { throw workspaceNotFound }
        }
        try staff.require(permission)
        return WorkspaceCaller(staff: staff, workspaceId: id)
    }

    var actor: Actor { Actor(kind: .user, id: staff.user.id.lowercasedString) }
}
