import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI

/// Reads the admin API's list, dashboard and advanced-search parameters into a query.
///
/// All: `page` (1–100,000, default 1), `limit` (1–100, default 10), `search` (name or email),
/// `status` (one or a comma list), `plan`, `accountType`, `provider`. The dashboard adds
/// `createdAfter`/`createdBefore`; the advanced search every `ClientFilters` field and
/// `sortBy` (createdAt, updatedAt, name, email, company, totalSubmissions) with `sortOrder`.
/// Each reads only its own parameters (others are ignored). Lists are newest first unless
/// sorted otherwise; `minSubmissions` above `maxSubmissions` matches no client. Bad values are
/// `invalidArgument` errors naming the parameter; texts follow `ClientFilters.textLimit`,
/// lists `ClientFilters.commaList`.
enum AdminListParameters {
    enum Kind { case list, dashboard, advancedSearch }

    static let maxPage = 100_000
    static let textLimit = ClientFilters.textLimit
    /// The `ClientFilters` parameters each kind reads.
    static let basicFilters: Set<String> = ["plan", "accountType", "provider"]
    static let dashboardFilters = basicFilters.union(["createdAfter", "createdBefore"])

    struct Parsed {
        var query: ClientListQuery
        var page: Int
        var limit: Int
        /// The filters given, for `searchMetadata.appliedFilters`.
        var applied: [String: JSONValue]
    }

    static func parse(_ request: HTTPRequest, kind: Kind, scope: ClientListQuery.TenantScope) throws -> Parsed {
        func invalid(_ name: String, _ expected: String) -> ClienteleError {
            ClienteleError(.invalidArgument, "\(name) must be \(expected)", context: ["field": name])
        }
        var page = 1
        if let raw = request.queryParameter("page") {
            guard let value = Int(raw), (1...maxPage).contains(value) else { throw invalid("page", "an integer from 1 to \(maxPage)") }
            page = value
        }
        var limit = 10
        if let raw = request.queryParameter("limit") {
            guard let value = Int(raw), (1...100).contains(value) else { throw invalid("limit", "an integer from 1 to 100") }
            limit = value
        }
        var query = ClientListQuery(scope: scope, sortBy: .createdAt, sortOrder: .desc, limit: limit, offset: (page - 1) * limit)
        var applied: [String: JSONValue] = [:]
        if let search = request.queryParameter("search"), !search.isEmpty {
            if let problem = textLimit.problem(search) {
                throw ClienteleError(.invalidArgument, "search \(problem)", context: ["field": "search"])
            }
            query.text = search
            applied["search"] = .string(search)
        }
        if let raw = request.queryParameter("status") {
            guard let statuses = ClientFilters.commaList(raw, of: ClientStatus.self) else {
                throw invalid("status", "one or more of active, inactive, suspended, trial, comma-separated")
            }
            query.statuses = statuses
            applied["status"] = .string(raw)
        }
        let filters = try ClientFilters { name in
            switch kind {
            case .list: basicFilters.contains(name) ? request.queryParameter(name) : nil
            case .dashboard: dashboardFilters.contains(name) ? request.queryParameter(name) : nil
            case .advancedSearch: request.queryParameter(name)
            }
        }
        if kind == .advancedSearch {
            if let raw = request.queryParameter("sortBy") {
                let fields: [String: ClientListQuery.SortField] = [
                    "createdAt": .createdAt, "updatedAt": .updatedAt, "name": .displayName, "email": .email,
                    "company": .company, "totalSubmissions": .totalSubmissions,
                ]
                guard let field = fields[raw] else {
                    throw invalid("sortBy", "one of createdAt, updatedAt, name, email, company, totalSubmissions")
                }
                query.sortBy = field
            }
            if let raw = request.queryParameter("sortOrder") {
                guard let order = ClientListQuery.SortOrder(rawValue: raw) else { throw invalid("sortOrder", "asc or desc") }
                query.sortOrder = order
            }
        }
        query.filters = filters
        for (name, value) in filters.queryItems {
            switch value {
            case "true": applied[name] = .bool(true)
            case "false": applied[name] = .bool(false)
            default: applied[name] = Int64(value).map(JSONValue.int) ?? .string(value)
            }
        }
        return Parsed(query: query, page: page, limit: limit, applied: applied)
    }
}
