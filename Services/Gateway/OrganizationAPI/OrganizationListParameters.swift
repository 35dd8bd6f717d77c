import ClientDomain
import Foundation
import HTTP
import InternalAPI

/// Reads `GET /api/v1/clients` query parameters into a `ClientListQuery` for one tenant.
///
/// `limit` 1–100 (50), `offset` 0–1,000,000 (0), `query` up to 200 characters without
/// control characters (name or phone; empty is no filter), `sortBy` name|phone|status|createdAt
/// (createdAt), `sortOrder` asc|desc (asc), `status` 1 to 10 of active|inactive separated by
/// commas, nothing else between them. Out-of-range or unknown values are refused with every
/// bad parameter named; unknown parameters are ignored; a repeated one counts once (the
/// first). The OpenAPI document states the same rules.
enum OrganizationListParameters {
    static let maxOffset = 1_000_000
    static let queryLimit = TextLimit(characters: 200)
    static let maxStatuses = 10

    /// The statuses this API names (`inactive` covers every status but active).
    enum StatusName: String { case active, inactive }
    static let sortFields: [String: ClientListQuery.SortField] = ["name": .name, "phone": .phone, "status": .status,
                                                                   "createdAt": .createdAt]

    static func query(from request: HTTPRequest, tenantId: UUID) throws -> ClientListQuery {
        var issues: [ValidationFailure.Issue] = []
        var query = ClientListQuery(tenantId: tenantId)
        if let raw = request.queryParameter("limit") {
            if let limit = Int(raw), (1...100).contains(limit) { query.limit = limit } else {
                issues.append(.init(field: "limit", message: "must be an integer from 1 to 100"))
            }
        }
        if let raw = request.queryParameter("offset") {
            if let offset = Int(raw), (0...maxOffset).contains(offset) { query.offset = offset } else {
                issues.append(.init(field: "offset", message: "must be an integer from 0 to \(maxOffset)"))
            }
        }
        if let raw = request.queryParameter("query"), !raw.isEmpty {
            if let problem = queryLimit.problem(raw) { issues.append(.init(field: "query", message: problem)) } else { query.text = raw }
        }
        if let raw = request.queryParameter("sortBy") {
            if let field = sortFields[raw] { query.sortBy = field } else {
                issues.append(.init(field: "sortBy", message: "must be one of name, phone, status, createdAt"))
            }
        }
        if let raw = request.queryParameter("sortOrder") {
            if let order = ClientListQuery.SortOrder(rawValue: raw) { query.sortOrder = order } else {
                issues.append(.init(field: "sortOrder", message: "must be one of asc, desc"))
            }
        }
        if let raw = request.queryParameter("status") {
            if raw.split(separator: ",", omittingEmptySubsequences: false).count > maxStatuses {
                issues.append(.init(field: "status", message: "must list at most \(maxStatuses) statuses"))
            } else if let names = ClientFilters.commaList(raw, of: StatusName.self) {
                var statuses: [ClientStatus] = []
                for name in names { statuses += name == .active ? [.active] : OrganizationClientView.inactiveStatuses }
                query.statuses = statuses
            } else {
                issues.append(.init(field: "status", message: "must be a comma-separated list of active, inactive"))
            }
        }
        guard issues.isEmpty else {
            var seen = Set<String>()
            throw ValidationFailure(issues.filter { seen.insert($0.field).inserted })
        }
        return query
    }
}
