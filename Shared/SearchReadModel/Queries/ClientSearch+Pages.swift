import ClientDomain
import Foundation
import InternalAPI
import JSON
import Postgres

extension ClientSearch {
    /// A keyset page of one tenant's live clients (`ClientCursorQuery`): up to `limit`, in the
    /// sort order with the id as tiebreak, after `query.after`; `next` is where the page after
    /// it starts, nil when there is none (one row more than the page is read to know).
    ///
    /// Ascending, clients without a name come after every named one (PostgreSQL's `NULLS
    /// LAST`); descending, before (`NULLS FIRST`): the order the `(tenant_id, name, id)` index
    /// gives either way. A position without a value is in that unnamed run. Text matches as
    /// `list`'s does (case-insensitive substring, wildcards literal), over the name and the
    /// contact values (`contact_text`), and text written as part of a phone number also
    /// without its separators (`PhoneNumber.searchFragment`), as phones are stored in E.164;
    /// with text the matches are found first and sorted after,
    /// as `list` does and for the same reason.
    public func page(_ query: ClientCursorQuery) async throws -> ClientCursorPage {
        var parameters: [any PostgresEncodable] = [query.tenantId]
        var conditions = ["tenant_id = $1", "NOT deleted"]
        func parameter(_ value: any PostgresEncodable) -> String {
            parameters.append(value)
            return "$\(parameters.count)"
        }
        if let text = query.text, !text.isEmpty {
            let p = parameter("%" + Self.escapeLike(text.lowercased()) + "%")
            var matches = ["lower(name) LIKE \(p)", "lower(contact_text) LIKE \(p)"]
            if let digits = PhoneNumber.searchFragment(text) {
                matches.append("lower(contact_text) LIKE \(parameter("%" + digits + "%"))")
            }
            conditions.append("(" + matches.joined(separator: " OR ") + ")")
        }
        if let type = query.contactType {
            conditions.append("contact_types @> ARRAY[\(parameter(type.rawValue))]::text[]")
        }
        for candidates in query.customFields {
            let any = candidates.map { "custom_fields @> \(parameter(PostgresJSON(text: String(decoding: $0.serialized(), as: UTF8.self))))" }
            conditions.append("(" + any.joined(separator: " OR ") + ")")
        }
        let column = Self.column(for: query.sortBy)
        let nullable = query.sortBy == .name
        let cast = nullable ? "" : "::timestamptz"
        if let after = query.after {
            let id = parameter(after.id)
            switch (after.value, query.descending) {
            case (let value?, false):
                let v = parameter(value)
                conditions.append(nullable ? "((\(column), id) > (\(v), \(id)) OR \(column) IS NULL)" : "(\(column), id) > (\(v)\(cast), \(id))")
            case (let value?, true):
                conditions.append("(\(column), id) < (\(parameter(value))\(cast), \(id))")
            case (nil, false):
                conditions.append("(\(column) IS NULL AND id > \(id))")
            case (nil, true):
                conditions.append("((\(column) IS NULL AND id < \(id)) OR \(column) IS NOT NULL)")
            }
        }
        let direction = query.descending ? "DESC" : "ASC"
        let order = "ORDER BY \(column) \(direction), id \(direction)"
        let window = "LIMIT \(parameter(query.limit + 1))"
        let filter = conditions.joined(separator: " AND ")
        let sql = query.text?.isEmpty == false
            ? "WITH matches AS MATERIALIZED (SELECT \(Self.recordColumns) FROM clients WHERE \(filter)) "
                + "SELECT \(Self.recordColumns) FROM matches \(order) \(window)"
            : "SELECT \(Self.recordColumns) FROM clients WHERE \(filter) \(order) \(window)"
        var records = try await pool.query(sql, parameters).map(Self.record(from:))
        guard records.count > query.limit else { return ClientCursorPage(data: records, next: nil) }
        records.removeLast(records.count - query.limit)
        let last = records[records.count - 1]
        let value: String? = switch query.sortBy {
        case .name: last.profile.name
        case .createdAt: Timestamp.format(last.createdAt)
        case .updatedAt: Timestamp.format(last.updatedAt)
        }
        return ClientCursorPage(data: records, next: ClientCursorQuery.Position(value: value, id: last.id))
    }

    /// The column a page's sort field orders by (a fixed name, never caller text).
    static func column(for field: ClientCursorQuery.SortField) -> String {
        switch field {
        case .name: "name"
        case .createdAt: "created_at"
        case .updatedAt: "updated_at"
        }
    }
}
