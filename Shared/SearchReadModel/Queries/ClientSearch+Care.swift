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

    /// The columns of an export row, in `CareExportPage.Row`'s order (the care names read
    /// with `#>>`: `CareSchema` holds them as strings, as the generated NDIS columns rely on).
    static let exportColumns = "id, tenant_id, number, name, display_name, care #>> '{personalInfo,firstName}', "
        + "care #>> '{personalInfo,lastName}', email, ndis_number, status, plan_manager, support_coordinator"

    /// The next `query.limit` clients of `query` by id (after `query.care.after`), with only
    /// what the care export writes: an index range scan however deep the page is.
    public func exportPage(_ query: ClientListQuery) async throws -> CareExportPage {
        var query = query
        query.care.keyset = true
        let (conditions, parameters) = Self.conditions(query)
        let sql = "SELECT \(Self.exportColumns) FROM clients WHERE \(conditions.joined(separator: " AND ")) "
            + "ORDER BY id LIMIT $\(parameters.count + 1)"
        let rows = try await pool.query(sql, parameters + [query.limit])
        return CareExportPage(rows: try rows.map { row in
            CareExportPage.Row(id: try row.decode(0), tenantId: try row.decode(1), number: try row.decodeIfPresent(2),
                               name: try row.text(3), displayName: try row.text(4), firstName: try row.text(5),
                               lastName: try row.text(6), email: try row.text(7), ndisNumber: try row.text(8),
                               status: try row.decode(9), planManager: try row.text(10), supportCoordinator: try row.text(11))
        })
    }
}
