import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI

/// Reads a `ClientListQuery` from the query parameters of `GET` `InternalPaths.clients`.
///
/// `tenantId` (comma-separated UUIDs, at most `ClientListQuery.maxTenants`) or
/// `allTenants=true`, exactly one of them; `query` (text), `status` (comma-separated
/// statuses), `agent` and `number` (positive integers), `sortBy` (a `SortField`), `sortOrder`
/// (`asc`/`desc`), `limit` (1–`maxLimit`, default 50), `offset` (≥ 0, default 0). A bad
/// value is an `invalidArgument` error naming the parameter.
enum ClientListParameters {
    /// The largest page: the leads API's unpaged list asks for up to this many.
    static let maxLimit = 1000

    /// The query.
    static func query(from request: HTTPRequest) throws -> ClientListQuery {
        // The query string parsed once: each `request.queryParameter` parses all of it again,
        // and the filters ask for some forty names (measured: docs/performance.md, design
        // measurements).
        let parameters = firstValues(request)
        let parameter: (String) -> String? = { parameters[$0] }
        var query = ClientListQuery(scope: try ClientListQuery.TenantScope(parameter: parameter))
        query.filters = try ClientFilters(parameter: parameter)
        query.care = try CareFilters(parameter: parameter)
        if let value = parameter("agent") {
            guard let agent = Int64(value), agent > 0 else { throw invalid("agent", "a positive integer") }
            query.agent = agent
        }
        if let value = parameter("number") {
            guard let number = Int64(value), number > 0 else { throw invalid("number", "a positive integer") }
            query.number = number
        }
        if let text = parameter("query"), !text.isEmpty {
            guard text.count <= 200 else { throw invalid("query", "at most 200 characters") }
            query.text = text
        }
        if let list = parameter("status"), !list.isEmpty {
            query.statuses = try list.split(separator: ",").map { name in
                guard let status = ClientStatus(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw invalid("status", "one or more of " + ClientStatus.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return status
            }
        }
        if let value = parameter("sortBy") {
            guard let field = ClientListQuery.SortField(rawValue: value) else {
                throw invalid("sortBy", "one of " + ClientListQuery.SortField.allCases.map(\.rawValue).joined(separator: ", "))
            }
            query.sortBy = field
        }
        if let value = parameter("sortOrder") {
            guard let order = ClientListQuery.SortOrder(rawValue: value) else { throw invalid("sortOrder", "asc or desc") }
            query.sortOrder = order
        }
        if let value = parameter("limit") {
            guard let limit = Int(value), (1...maxLimit).contains(limit) else {
                throw invalid("limit", "an integer from 1 to \(maxLimit)")
            }
            query.limit = limit
        }
        if let value = parameter("offset") {
            guard let offset = Int(value), offset >= 0 else { throw invalid("offset", "an integer of 0 or more") }
            query.offset = offset
        }
        return query
    }

    /// Each query parameter's first decoded value, by name (as `HTTPRequest.queryParameter`).
    static func firstValues(_ request: HTTPRequest) -> [String: String] {
        var values: [String: String] = [:]
        for (name, value) in request.queryParameters() where values[name] == nil { values[name] = value }
        return values
    }

    /// A required UUID query parameter.
    static func uuid(_ request: HTTPRequest, _ name: String) throws -> UUID {
        guard let text = request.queryParameter(name), !text.isEmpty else {
            throw ClienteleError(.invalidArgument, "The query parameter \(name) is required", context: ["parameter": name])
        }
        guard let id = UUID(canonical: text) else { throw invalid(name, "a UUID") }
        return id
    }

    static func invalid(_ name: String, _ expected: String) -> ClienteleError {
        ClienteleError(.invalidArgument, "The query parameter \(name) must be \(expected)", context: ["parameter": name])
    }
}
