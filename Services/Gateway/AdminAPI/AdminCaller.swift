import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI

/// A caller of the admin clients API: a super-admin (every company) or an admin (its own
/// companies only), through the `clients.admin` permission.
struct AdminCaller: Sendable {
    let staff: StaffCaller

    static let forbidden = ClienteleError(.permissionDenied, "Admin privileges required")

    init(_ staff: StaffCaller) throws {
        guard staff.can(Permission.clientsAdmin) else { throw Self.forbidden }
        self.staff = staff
    }

    /// The tenants the caller's lists, searches, stats and dashboard cover.
    var scope: ClientListQuery.TenantScope {
        staff.actsInEveryCompany ? .everyTenant : .tenants(staff.user.companyIds.sorted { $0.uuidString < $1.uuidString })
    }

    /// The company a new client belongs to: `companyId` (a company UUID or number) when
    /// given, else the caller's only company. 400 when it is needed and missing or
    /// malformed, 403 when the caller may not use it.
    func company(for value: JSONValue?, identity: IdentityStore) async throws -> UUID {
        let company: Company?
        switch value {
        case nil, .null?:
            guard !staff.actsInEveryCompany, staff.user.companyIds.count == 1, let only = staff.user.companyIds.first else {
                throw ClienteleError(.invalidArgument,
                                     "companyId is required: name the company the client belongs to (you can act in several)",
                                     context: ["field": "companyId"])
            }
            return only
        case .string(let text)?:
            guard let id = UUID(uuidString: text) else {
                throw ClienteleError(.invalidArgument, "companyId must be a company id", context: ["field": "companyId"])
            }
            company = try await identity.company(id: id)
        case .int(let number)? where number > 0:
            company = try await identity.company(number: number)
        default:
            throw ClienteleError(.invalidArgument, "companyId must be a company id", context: ["field": "companyId"])
        }
        guard let company, staff.reaches(anyOf: [company.id]) else {
            throw ClienteleError(.permissionDenied, "You cannot create clients in this company", context: ["field": "companyId"])
        }
        return company.id
    }

    var actor: Actor { Actor(kind: .user, id: staff.user.id.lowercasedString) }
}
