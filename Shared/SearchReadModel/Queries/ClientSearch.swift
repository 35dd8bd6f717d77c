import ClientDomain
import Foundation
import InternalAPI
import Postgres

/// The queries the search read model answers, always within the tenants a caller may see
/// and never showing deleted clients.
public struct ClientSearch: Sendable {
    public let pool: PostgresPool
    /// Where the single-row lookups (`client`, `version`) wait for PostgreSQL when their task
    /// runs on an HTTP event loop; nil sends every statement through the pool's threads.
    public let readiness: (any PostgresReadiness)?

    public init(pool: PostgresPool, readiness: (any PostgresReadiness)? = nil) {
        self.pool = pool
        self.readiness = readiness
    }

    static let recordColumns = ClientColumns.list

    /// The SQL conditions (joined by AND) and their parameters that select `query`'s clients:
    /// its tenants, filters and (`keyset`) position; never a deleted client.
    static func conditions(_ query: ClientListQuery) -> (conditions: [String], parameters: [any PostgresEncodable]) {
        var conditions = ["NOT deleted"]
        var parameters: [any PostgresEncodable] = []
        switch query.scope {
        case .tenants(let ids) where ids.count == 1:
            parameters.append(ids[0])
            conditions.append("tenant_id = $1")
        case .tenants(let ids):
            parameters.append(PostgresArray(ids))
            conditions.append("tenant_id = ANY($1::uuid[])")
        case .everyTenant:
            break
        }
        if let agent = query.agent {
            parameters.append("{\(agent)}")
            conditions.append("agent_ids @> $\(parameters.count)::bigint[]")
        }
        if let number = query.number {
            parameters.append(number)
            conditions.append("number = $\(parameters.count)")
        }
        if let text = query.text, !text.isEmpty {
            parameters.append("%" + Self.escapeLike(text.lowercased()) + "%")
            let p = "$\(parameters.count)"
            conditions.append("(lower(name) LIKE \(p) OR lower(display_name) LIKE \(p) OR lower(phone) LIKE \(p) "
                              + "OR lower(email) LIKE \(p))")
        }
        Self.filter(query.filters, conditions: &conditions, parameters: &parameters)
        Self.filter(query.care, conditions: &conditions, parameters: &parameters)
        if !query.statuses.isEmpty {
            parameters.append("{" + query.statuses.map(\.rawValue).joined(separator: ",") + "}")
            conditions.append("status = ANY($\(parameters.count)::text[])")
        }
        return (conditions, parameters)
    }

    /// A page of a tenant's clients and the exact number matching, from one snapshot.
    ///
    /// Text matches case-insensitively anywhere in name, phone or email (`%`, `_` and `\`
    /// in it are literal). Rows are ordered by the sort field, then by id in the same
    /// direction, so pages are stable. `limit` and `offset` are taken as given (the route
    /// checks their ranges).
    public func list(_ query: ClientListQuery) async throws -> ClientListPage {
        let (conditions, parameters) = Self.conditions(query)
        if query.care.keyset { return try await keysetPage(conditions, parameters, limit: query.limit) }
        if query.number != nil { return try await numberPage(conditions, parameters, query) }
        let filter = conditions.joined(separator: " AND ")
        let direction = query.sortOrder == .asc ? "ASC" : "DESC"
        let order = "ORDER BY \(Self.column(for: query.sortBy)) \(direction), id \(direction)"
        let window = "LIMIT $\(parameters.count + 1) OFFSET $\(parameters.count + 2)"
        // With search text the matches are found through the trigram indexes first and then
        // sorted: otherwise the planner may walk a sort index through a whole tenant looking
        // for a rare match, far slower than the trigram bitmap scan of the same filter
        // (measured: docs/performance.md, design measurements).
        let pageSQL = query.text?.isEmpty == false
            ? "WITH matches AS MATERIALIZED (SELECT \(Self.recordColumns) FROM clients WHERE \(filter)) "
                + "SELECT \(Self.recordColumns) FROM matches \(order) \(window)"
            : "SELECT \(Self.recordColumns) FROM clients WHERE \(filter) \(order) \(window)"
        let countSQL = "SELECT count(*) FROM clients WHERE \(filter)"
        let countParameters = parameters
        let pageParameters = parameters + [query.limit, query.offset]
        return try await pool.withTransaction(isolation: .repeatableRead) { connection in
            let total = try connection.query(countSQL, countParameters)[0].decode(0, as: Int.self)
            let records = try connection.query(pageSQL, pageParameters).map(Self.record(from:))
            return ClientListPage(data: records, total: total)
        }
    }

    /// `list` for a query naming a client's number: numbers are unique (`clients_by_number`),
    /// so at most one row matches, and one statement (no transaction, no count) gives both the
    /// page and the total. The care API's details read a client by number on every request.
    func numberPage(_ conditions: [String], _ parameters: [any PostgresEncodable], _ query: ClientListQuery) async throws -> ClientListPage {
        let sql = "SELECT \(Self.recordColumns) FROM clients WHERE \(conditions.joined(separator: " AND "))"
        let matches = try await pool.query(sql, parameters).map(Self.record(from:))
        return ClientListPage(data: Array(matches.dropFirst(query.offset).prefix(query.limit)), total: matches.count)
    }

    /// The client, if it exists in this tenant and is not deleted.
    public func client(id: UUID, tenantId: UUID) async throws -> ClientRecord? {
        let rows = try await pool.query("""
            SELECT \(Self.recordColumns) FROM clients WHERE id = $1 AND tenant_id = $2 AND NOT deleted
            """, [id, tenantId], waitingOn: readiness)
        return try rows.first.map(Self.record(from:))
    }

    /// The clients of `lookups`, in their order: each one's record if it exists (in that
    /// lookup's tenant, when it names one) and is not deleted, else nil.
    ///
    /// One statement for the ids of the batch and one for its numbers (numbers are unique),
    /// waiting on `readiness` like `client(id:tenantId:)`; the tenant is checked per entry, so
    /// a lookup within a tenant never sees another tenant's client. The caller bounds the batch
    /// (`TenantClientId.maxPerLookup` at the route).
    public func clients(_ lookups: [TenantClientId]) async throws -> [ClientRecord?] {
        guard !lookups.isEmpty else { return [] }
        var ids: [UUID] = []
        var numbers: [Int64] = []
        var seenIds = Set<UUID>()
        var seenNumbers = Set<Int64>()
        for lookup in lookups {
            switch lookup.key {
            case .id(let id): if seenIds.insert(id).inserted { ids.append(id) }
            case .number(let number): if seenNumbers.insert(number).inserted { numbers.append(number) }
            }
        }
        var found: [ClientRecord] = []
        found.reserveCapacity(ids.count + numbers.count)
        for (column, keys) in [("id", ids.map { $0 as any PostgresEncodable }), ("number", numbers.map { $0 as any PostgresEncodable })]
        where !keys.isEmpty {
            let slots = Self.lookupSlots(for: keys.count)
            // Padded with the first key (a duplicate in IN changes nothing) to the statement's size.
            let parameters = keys + Array(repeating: keys[0], count: slots - keys.count)
            let rows = try await pool.query(Self.lookupSQL(column: column, slots: slots), parameters, waitingOn: readiness)
            for row in rows { found.append(try Self.record(from: row)) }
        }
        return lookups.map { lookup in found.first(where: lookup.matches) }
    }

    /// The number of ids a batch lookup statement takes for `count` distinct ids: the next
    /// power of two, so a handful of prepared statements serve every batch.
    ///
    /// Not one `id = ANY($1::uuid[])` statement: PostgreSQL's generic plan for it guesses ten
    /// rows and a bitmap scan, which costs more than the custom plans, so it planned every
    /// execution again; the generic plan of `id IN ($1, …, $4)` is an index scan of the four
    /// and is reused (measured with pgbench: docs/performance.md, design measurements).
    static func lookupSlots(for count: Int) -> Int {
        var slots = 1
        while slots < count { slots *= 2 }
        return slots
    }

    /// `SELECT … WHERE <column> IN ($1, …, $slots) AND NOT deleted`, `column` being `id` or
    /// `number`.
    static func lookupSQL(column: String = "id", slots: Int) -> String {
        if let index = lookupStatements.firstIndex(where: { $0.column == column && $0.slots == slots }) {
            return lookupStatements[index].sql
        }
        return makeLookupSQL(column: column, slots: slots)
    }

    private static let lookupStatements: [(column: String, slots: Int, sql: String)] = ["id", "number"].flatMap { column in
        (0...7).map { 1 << $0 }.map { (column, $0, makeLookupSQL(column: column, slots: $0)) }
    }

    private static func makeLookupSQL(column: String, slots: Int) -> String {
        let placeholders = (1...slots).map { "$\($0)" }.joined(separator: ", ")
        return "SELECT \(recordColumns) FROM clients WHERE \(column) IN (\(placeholders)) AND NOT deleted"
    }

    /// The version the read model holds for a client (a deleted one keeps its last), if any.
    public func version(of id: UUID) async throws -> Int64? {
        try await pool.query("SELECT version FROM clients WHERE id = $1", [id], waitingOn: readiness).first?.decode(0, as: Int64.self)
    }

    /// The column a sort field orders by (a fixed name, never caller text).
    static func column(for field: ClientListQuery.SortField) -> String {
        switch field {
        case .name: "name"
        case .phone: "phone"
        case .email: "email"
        case .status: "status"
        case .createdAt: "created_at"
        case .updatedAt: "updated_at"
        case .displayName: "display_name"
        case .company: "company_name"
        case .totalSubmissions: "submission_count"
        }
    }

    /// Adds the SQL conditions and parameters of the admin API's filters.
    static func filter(_ filters: ClientFilters, conditions: inout [String], parameters: inout [any PostgresEncodable]) {
        func add(_ value: any PostgresEncodable, _ condition: (String) -> String) {
            parameters.append(value)
            conditions.append(condition("$\(parameters.count)"))
        }
        if !filters.plans.isEmpty {
            add("{" + filters.plans.map(\.rawValue).joined(separator: ",") + "}") { "plan_effective = ANY(\($0)::text[])" }
        }
        if !filters.accountTypes.isEmpty {
            add("{" + filters.accountTypes.map(\.rawValue).joined(separator: ",") + "}") {
                "account_type_effective = ANY(\($0)::text[])"
            }
        }
        if let provider = filters.provider { add(provider) { "provider = \($0)" } }
        if let after = filters.createdAfter { add(after) { "created_at > \($0)" } }
        if let before = filters.createdBefore { add(before) { "created_at < \($0)" } }
        if let domain = filters.emailDomain { add(domain.lowercased()) { "lower(split_part(email, '@', 2)) = \($0)" } }
        let searches: [(String, String?)] = [("company_name", filters.companySearch), ("location", filters.locationSearch),
                                             ("industry", filters.industrySearch)]
        for case let (column, text?) in searches {
            add("%" + escapeLike(text.lowercased()) + "%") { "lower(\(column)) LIKE \($0)" }
        }
        if let minimum = filters.minSubmissions { add(minimum) { "submission_count >= \($0)" } }
        if let maximum = filters.maxSubmissions { add(maximum) { "submission_count <= \($0)" } }
        if let verified = filters.emailVerified { add(verified) { "coalesce(email_verified, false) = \($0)" } }
        if let twoFactor = filters.twoFactorEnabled { add(twoFactor) { "coalesce(two_factor_enabled, false) = \($0)" } }
        let presence: [(String, Bool?)] = [("avatar", filters.hasAvatar), ("website", filters.hasWebsite), ("phone", filters.hasPhone)]
        for case let (column, present?) in presence { add(present) { "(\(column) IS NOT NULL) = \($0)" } }
    }

    /// `text` with LIKE's wildcards and escape character made literal.
    ///
    /// Walks code points, as PostgreSQL's LIKE does: a `%` followed by a combining mark is one
    /// `Character` to Swift but still a wildcard to PostgreSQL.
    static func escapeLike(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "%" || scalar == "_" || scalar == "\\" { escaped.append("\\") }
            escaped.append(scalar)
        }
        return String(escaped)
    }

    static func record(from row: PostgresRow) throws -> ClientRecord {
        ClientRecord(id: try row.decode(0), tenantId: try row.decode(1), profile: try ClientColumns.profile(row),
                     version: try row.decode(2), createdAt: try row.decode(3), updatedAt: try row.decode(4),
                     number: try row.decodeIfPresent(6), createdBy: Self.actor(try row.decodeIfPresent(7)),
                     hasJoined: try row.decode(8), lastActiveAt: try row.decodeIfPresent(9),
                     submissionCount: try row.decode(10), documents: try ClientColumns.documents(row),
                     careRecords: try ClientColumns.careRecords(row))
    }

    /// The actor a `created_by` value (`kind:id`) names.
    static func actor(_ text: String?) -> Actor? {
        guard let text, let colon = text.firstIndex(of: ":"),
              let kind = Actor.Kind(rawValue: String(text[..<colon])) else { return nil }
        return Actor(kind: kind, id: String(text[text.index(after: colon)...]))
    }
}
