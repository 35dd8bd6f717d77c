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
        switch (request.queryParameter("allTenants"), request.queryParameter("tenantId")) {
        case ("true", nil):
            return .everyTenant
        case (nil, let list?):
            let parts = list.split(separator: ",", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.count <= ClientListQuery.maxTenants else {
                throw invalid("tenantId", "1 to \(ClientListQuery.maxTenants) UUIDs")
            }
            return .tenants(try parts.map { part in
                guard let id = UUID(uuidString: String(part)), id != StatsSchema.allTenants else {
                    throw invalid("tenantId", "comma-separated UUIDs")
                }
                return id
            })
        default:
            throw ClienteleError(.invalidArgument, "Exactly one of the query parameters tenantId and allTenants=true is required",
                                 context: ["parameter": "tenantId"])
        }
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
