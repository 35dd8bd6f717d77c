import ClientDomain
import Foundation
import InternalAPI
import Postgres
import StatsReadModel

/// Computes `ClientStats` the slow, obvious way: SQL over the search read model's `clients`
/// table, straight from `ClientStats`' definitions, as the reference for the counters.
///
/// Independent of the stats code on purpose: periods come from PostgreSQL's own calendar
/// (`date_trunc`), rates from `round(numeric, 1)`, countries from `split_part` and `btrim`,
/// ties in top lists by byte order (`COLLATE "C"`).
enum StatsBruteForce {
    static func stats(search pool: PostgresPool, tenants: [UUID]?, asOf: Date) async throws -> ClientStats {
        let scope = tenants.map { "{" + $0.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}" }
        // $1: tenants (null: all), $2: asOf.
        let filter = "NOT deleted AND ($1::uuid[] IS NULL OR tenant_id = ANY($1::uuid[]))"
        let asOfText = Timestamp.format(asOf)
        let periods = """
            WITH p AS (SELECT (($2::timestamptz) AT TIME ZONE 'UTC')::date AS today,
                              date_trunc('week', ($2::timestamptz) AT TIME ZONE 'UTC')::date AS week_start,
                              date_trunc('month', ($2::timestamptz) AT TIME ZONE 'UTC')::date AS month_start),
                 c AS (SELECT *, (created_at AT TIME ZONE 'UTC')::date AS created_day,
                              (last_active_at AT TIME ZONE 'UTC')::date AS active_day
                       FROM clients WHERE \(filter))
            """
        let row = try await pool.query("""
            \(periods),
            f AS (SELECT count(*) AS total,
                         count(*) FILTER (WHERE status = 'active') AS active,
                         count(*) FILTER (WHERE status = 'inactive') AS inactive,
                         count(*) FILTER (WHERE status = 'suspended') AS suspended,
                         count(*) FILTER (WHERE status = 'trial') AS trial,
                         count(*) FILTER (WHERE COALESCE(plan, 'free') = 'free') AS free,
                         count(*) FILTER (WHERE plan = 'standard') AS standard,
                         count(*) FILTER (WHERE plan = 'premium') AS premium,
                         count(*) FILTER (WHERE COALESCE(account_type, 'individual') = 'individual') AS individual,
                         count(*) FILTER (WHERE account_type = 'business') AS business,
                         count(*) FILTER (WHERE account_type = 'enterprise') AS enterprise,
                         COALESCE(sum(submission_count), 0) AS submissions,
                         count(*) FILTER (WHERE created_day = p.today) AS new_today,
                         count(*) FILTER (WHERE created_day >= p.week_start AND created_day < p.week_start + 7) AS new_week,
                         count(*) FILTER (WHERE created_day >= p.month_start
                                          AND created_day < (p.month_start + interval '1 month')::date) AS new_month,
                         count(*) FILTER (WHERE created_day < p.month_start) AS before_month,
                         count(*) FILTER (WHERE active_day >= p.week_start AND active_day < p.week_start + 7) AS active_week,
                         count(*) FILTER (WHERE active_day >= p.month_start
                                          AND active_day < (p.month_start + interval '1 month')::date) AS active_month
                  FROM c, p)
            SELECT total, active, inactive, suspended, trial, free, standard, premium, individual, business, enterprise,
                   submissions::bigint, new_today, new_week, new_month,
                   CASE WHEN before_month = 0 THEN 0 ELSE round(100.0 * new_month / before_month, 1) END::float8,
                   CASE WHEN total = 0 THEN 0 ELSE round(100.0 * (standard + premium) / total, 1) END::float8,
                   CASE WHEN total = 0 THEN 0 ELSE round(1.0 * submissions / total, 1) END::float8,
                   active_week, active_month
            FROM f
            """, [scope, asOfText])[0]
        func int(_ column: Int) throws -> Int64 { try row.decode(column, as: Int64.self) }
        var stats = ClientStats()
        stats.overview = .init(totalClients: try int(0), activeClients: try int(1), inactiveClients: try int(2),
                               suspendedClients: try int(3), trialClients: try int(4))
        stats.plans = .init(free: try int(5), standard: try int(6), premium: try int(7),
                            conversionRate: try row.decode(16, as: Double.self))
        stats.accountTypes = .init(individual: try int(8), business: try int(9), enterprise: try int(10))
        stats.growth = .init(newClientsToday: try int(12), newClientsThisWeek: try int(13), newClientsThisMonth: try int(14),
                             growthRate: try row.decode(15, as: Double.self))
        stats.engagement = .init(averageSubmissions: try row.decode(17, as: Double.self), totalSubmissions: try int(11),
                                 activeThisWeek: try int(18), activeThisMonth: try int(19))

        func top(_ expression: String, limit: Int) async throws -> [(String, Int64)] {
            try await pool.query("""
                SELECT v, count(*) AS n FROM (SELECT \(expression) AS v FROM clients WHERE \(filter)) s
                WHERE btrim(v, E' \\t\\n\\r') <> ''
                GROUP BY v ORDER BY n DESC, v COLLATE "C" LIMIT \(limit)
                """, [scope]).map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int64.self)) }
        }
        stats.demographics = .init(
            topCountries: try await top("btrim(split_part(location, ',', -1), E' \\t\\n\\r')", limit: 10).map { .init(country: $0.0, count: $0.1) },
            topCompanies: try await top("company_name", limit: 10).map { .init(company: $0.0, count: $0.1) },
            topIndustries: try await top("industry", limit: 10).map { .init(industry: $0.0, count: $0.1) })
        stats.providers = Dictionary(uniqueKeysWithValues: try await top("provider", limit: 100))
        return stats
    }
}
