import Errors
import Foundation

extension ClientListQuery.TenantScope {
    /// The scope as the internal services' query parameters: `tenantId` (a comma list) or
    /// `allTenants=true`.
    public var queryItems: [(String, String)] {
        switch self {
        case .tenants(let ids): [("tenantId", ids.map { $0.lowercasedString }.joined(separator: ","))]
        case .everyTenant: [("allTenants", "true")]
        }
    }

    /// Reads a scope written by `queryItems`: exactly one of `tenantId` (1 to
    /// `ClientListQuery.maxTenants` UUIDs) and `allTenants=true`; otherwise an
    /// `invalidArgument` error naming the parameter.
    public init(parameter: (String) -> String?) throws {
        func invalid(_ expected: String) -> ClienteleError {
            ClienteleError(.invalidArgument, "The query parameter tenantId must be \(expected)", context: ["parameter": "tenantId"])
        }
        switch (parameter("allTenants"), parameter("tenantId")) {
        case ("true", nil):
            self = .everyTenant
        case (nil, let list?):
            let parts = list.split(separator: ",", omittingEmptySubsequences: false)
            guard !parts.isEmpty, parts.count <= ClientListQuery.maxTenants else {
                throw invalid("1 to \(ClientListQuery.maxTenants) UUIDs")
            }
            self = .tenants(try parts.map { part in
                guard let id = UUID(uuidString: String(part)) else { throw invalid("comma-separated UUIDs") }
                return id
            })
        default:
            throw ClienteleError(.invalidArgument, "Exactly one of the query parameters tenantId and allTenants=true is required",
                                 context: ["parameter": "tenantId"])
        }
    }
}
