import Foundation
import InternalAPI
import Postgres

/// The stats read model's answers: a `ClientStats` for a set of tenants, read from the
/// counters (never by scanning clients), from one snapshot.
///
/// Work per answer: for one tenant, or for all tenants (their sums are kept under
/// `StatsSchema.allTenants`), a few index scans: the fixed dimensions' handful of rows, the
/// per-day rows from the earliest period's start on (at most 37 with `asOf` today), and
/// each top list's first rows. For several tenants the fixed dimensions and days are summed
/// over the tenants' rows (bounded by the number of tenants), and each top list is merged
/// from the tenants' own top lists (`TopValuesMerge`), falling back to summing every value of
/// those tenants only when that cannot settle the list.
public struct ClientStatistics: Sendable {
    /// The length of each demographics top list.
    public static let topLimit = 10
    /// The most providers an answer lists (the largest ones).
    public static let providerLimit = 100

    /// The most rows a round of merging the tenants' own top lists reads; past it, every
    /// value of the tenants is summed instead.
    static let maxMergeRows = 2000

    public let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The version the stats hold for a client (a deleted one keeps its last), if any: the
    /// client's contribution to the figures is as of that version.
    public func version(of id: UUID) async throws -> Int64? {
        try await pool.query("SELECT version FROM stats_clients WHERE id = $1", [id]).first?.decode(0, as: Int64.self)
    }

    /// The figures of the live clients of `scope`'s tenants, with periods as of `asOf`.
    public func stats(for scope: ClientListQuery.TenantScope, asOf: Date) async throws -> ClientStats {
        let tenants: [UUID]
        switch scope {
        case .everyTenant:
            tenants = [StatsSchema.allTenants]
        case .tenants(let ids):
            // Each tenant once (a repeated one must not count twice); never the sums' own id.
            var seen = Set<UUID>()
            tenants = ids.filter { $0 != StatsSchema.allTenants && seen.insert($0).inserted }
        }
        guard !tenants.isEmpty else { return ClientStats() }
        let periods = StatsPeriods(asOf: asOf)
        return try await pool.withTransaction(isolation: .repeatableRead) { connection in
            try Self.stats(tenants: tenants, periods: periods, on: connection)
        }
    }

    static func stats(tenants: [UUID], periods: StatsPeriods, on connection: PostgresConnection) throws -> ClientStats {
        let tenantArray = PostgresArray(tenants)
        var fixed: [StatsDimension: [String: Int64]] = [:]
        for row in try connection.query("""
            SELECT dimension, value, sum(count)::bigint FROM stats_counts
            WHERE tenant_id = ANY($1::uuid[]) AND dimension = ANY($2::text[])
            GROUP BY dimension, value
            """, [tenantArray, "{" + StatsDimension.fixed.map(\.rawValue).joined(separator: ",") + "}"]) {
            guard let dimension = StatsDimension(rawValue: try row.decode(0, as: String.self)) else { continue }
            fixed[dimension, default: [:]][try row.decode(1, as: String.self)] = try row.decode(2, as: Int64.self)
        }
        var created: [StatsDay: Int64] = [:]
        var active: [StatsDay: Int64] = [:]
        for row in try connection.query("""
            SELECT kind, to_char(day, 'YYYY-MM-DD'), sum(count)::bigint FROM stats_days
            WHERE tenant_id = ANY($1::uuid[]) AND day >= $2::date
            GROUP BY kind, day
            """, [tenantArray, periods.earliest.text]) {
            guard let day = StatsDay(text: try row.decode(1, as: String.self)) else {
                throw PostgresError(.decoding, "unreadable day in the stats read model", context: ["column": "day"])
            }
            switch StatsDayKind(rawValue: try row.decode(0, as: String.self)) {
            case .created: created[day] = try row.decode(2, as: Int64.self)
            case .active: active[day] = try row.decode(2, as: Int64.self)
            case nil: continue
            }
        }
        func top(_ dimension: StatsDimension, _ limit: Int) throws -> [(value: String, count: Int64)] {
            try topValues(dimension, limit: limit, tenants: tenants, tenantArray: tenantArray, on: connection)
        }
        let figures = StatsFigures(fixed: fixed, created: created, active: active, periods: periods)
        return figures.stats(countries: try top(.country, topLimit), companies: try top(.company, topLimit),
                             industries: try top(.industry, topLimit), providers: try top(.provider, providerLimit))
    }

    /// The `limit` largest values of `dimension` (one of `StatsDimension.listed`) summed over
    /// `tenants`, by count then value (byte order), from `stats_top_counts`.
    static func topValues(_ dimension: StatsDimension, limit: Int, tenants: [UUID], tenantArray: PostgresArray,
                          on connection: PostgresConnection) throws -> [(value: String, count: Int64)] {
        func pairs(_ rows: PostgresRows) throws -> [(value: String, count: Int64)] {
            try rows.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int64.self)) }
        }
        if tenants.count == 1 {
            return try pairs(connection.query("""
                SELECT value, count FROM stats_top_counts
                WHERE tenant_id = $1 AND dimension = $2 AND count > 0
                ORDER BY count DESC, value LIMIT $3
                """, [tenants[0], dimension.rawValue, limit]))
        }
        // Each tenant's own top list (an index scan each) gives the candidates, and a bound on
        // what any other value can add up to; deeper lists lower the bound.
        var depth = limit
        while true {
            var perTenant: [UUID: (rows: Int, smallest: Int64)] = [:]
            var candidates: [String] = []
            for row in try connection.query("""
                SELECT t.tenant_id, top.value, top.count
                FROM unnest($1::uuid[]) AS t(tenant_id)
                CROSS JOIN LATERAL (SELECT value, count FROM stats_top_counts s
                                    WHERE s.tenant_id = t.tenant_id AND s.dimension = $2 AND s.count > 0
                                    ORDER BY s.count DESC, s.value LIMIT $3) AS top
                """, [tenantArray, dimension.rawValue, depth]) {
                let tenant = try row.decode(0, as: UUID.self)
                let count = try row.decode(2, as: Int64.self)
                let seen = perTenant[tenant] ?? (0, Int64.max)
                perTenant[tenant] = (seen.rows + 1, min(seen.smallest, count))
                candidates.append(try row.decode(1, as: String.self))
            }
            guard !candidates.isEmpty else { return [] }
            let merge = TopValuesMerge(limit: limit, depth: depth,
                                       tenantTops: perTenant.values.map { .init(rows: $0.rows, smallest: $0.smallest) })
            let summed = try pairs(connection.query("""
                SELECT value, sum(count)::bigint AS total FROM stats_top_counts
                WHERE tenant_id = ANY($1::uuid[]) AND dimension = $2 AND value = ANY($3::text[])
                GROUP BY value ORDER BY total DESC, value LIMIT $4
                """, [tenantArray, dimension.rawValue, PostgresArray(candidates), limit]))
            if merge.settles(summed.map(\.count)) { return summed }
            depth *= 5
            guard depth * tenants.count <= maxMergeRows else { break }
        }
        // Summing every value of these tenants settles it.
        return try pairs(connection.query("""
            SELECT value, sum(count)::bigint AS total FROM stats_top_counts
            WHERE tenant_id = ANY($1::uuid[]) AND dimension = $2 AND count > 0
            GROUP BY value ORDER BY total DESC, value LIMIT $3
            """, [tenantArray, dimension.rawValue, limit]))
    }
}
