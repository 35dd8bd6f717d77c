import Foundation
import InternalAPI
import Postgres

extension ClientSearch {
    /// Adds the SQL conditions and parameters of the care API's filters (not `keyset`/`after`'s
    /// order, which `keysetPage` adds).
    static func filter(_ care: CareFilters, conditions: inout [String], parameters: inout [any PostgresEncodable]) {
        func add(_ value: any PostgresEncodable, _ condition: (String) -> String) {
            parameters.append(value)
            conditions.append(condition("$\(parameters.count)"))
        }
        if let ndisNumber = care.ndisNumber { add(ndisNumber) { "ndis_number = \($0)" } }
        if let text = care.text {
            add("%" + escapeLike(text.lowercased()) + "%") {
                "(lower(name) LIKE \($0) OR lower(email) LIKE \($0) OR ndis_number LIKE \($0))"
            }
        }
        switch (care.coordinatedBy, care.planManagedBy) {
        case (let coordinator?, let manager?):
            parameters.append(coordinator.lowercasedString)
            parameters.append(manager.lowercasedString)
            conditions.append("(support_coordinator = $\(parameters.count - 1) OR plan_manager = $\(parameters.count))")
        case (let coordinator?, nil): add(coordinator.lowercasedString) { "support_coordinator = \($0)" }
        case (nil, let manager?): add(manager.lowercasedString) { "plan_manager = \($0)" }
        case (nil, nil): break
        }
        if care.keyset, let after = care.after { add(after) { "id > \($0)" } }
    }

    /// The next `limit` matching clients by id (the conditions hold `after`'s bound), without
    /// a count (`total` is -1): an export's page, an index range scan however deep it is.
    func keysetPage(_ conditions: [String], _ parameters: [any PostgresEncodable], limit: Int) async throws -> ClientListPage {
        let sql = "SELECT \(Self.recordColumns) FROM clients WHERE \(conditions.joined(separator: " AND ")) "
            + "ORDER BY id LIMIT $\(parameters.count + 1)"
        let records = try await pool.query(sql, parameters + [limit]).map(Self.record(from:))
        return ClientListPage(data: records, total: -1)
    }
}
