import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import StatsReadModel

/// Reads the query parameters of `GET` `InternalPaths.stats`: the tenants and `asOf`.
///
/// `tenantId` (comma-separated UUIDs, at most `ClientListQuery.maxTenants`, never the nil
/// UUID under which the sums over all tenants are kept) or `allTenants=true`, exactly one of
/// them; `asOf` optional, RFC 3339 or `YYYY-MM-DD` (midnight UTC), default now. A bad value
/// is an `invalidArgument` error naming the parameter.
enum StatsParameters {
    static func scope(_ request: HTTPRequest) throws -> ClientListQuery.TenantScope {
        let scope = try ClientListQuery.TenantScope { request.queryParameter($0) }
        if case .tenants(let ids) = scope, ids.contains(StatsSchema.allTenants) {
            throw invalid("tenantId", "comma-separated UUIDs")
        }
        return scope
    }

    static func asOf(_ request: HTTPRequest, now: Date = Date()) throws -> Date {
        guard let text = request.queryParameter("asOf") else { return now }
        guard let date = Timestamp.parse(text) else { throw invalid("asOf", "an RFC 3339 date-time or a YYYY-MM-DD date") }
        return date
    }

    static func invalid(_ name: String, _ expected: String) -> ClienteleError {
        ClienteleError(.invalidArgument, "The query parameter \(name) must be \(expected)", context: ["parameter": name])
    }
}
