import ClientDomain
import InternalAPI

/// Turns summed counters into a `ClientStats`: the figures and rates its doc comments define.
///
/// Pure, so every definition is unit-tested without a database.
struct StatsFigures: Sendable {
    /// The fixed dimensions' counts (`StatsDimension.fixed`) by value.
    var fixed: [StatsDimension: [String: Int64]]
    /// Live clients by the day they were created, from `periods.earliest` on.
    var created: [StatsDay: Int64]
    /// Live clients by the day of their last activity, from `periods.earliest` on.
    var active: [StatsDay: Int64]
    var periods: StatsPeriods

    func count(_ dimension: StatsDimension, _ value: String) -> Int64 {
        fixed[dimension]?[value] ?? 0
    }

    /// The figures, with the top lists given (value and count, largest first).
    func stats(countries: [(value: String, count: Int64)], companies: [(value: String, count: Int64)],
               industries: [(value: String, count: Int64)], providers: [(value: String, count: Int64)]) -> ClientStats {
        let total = count(.total, StatsDimension.clients)
        let submissions = count(.total, StatsDimension.submissions)
        func sum(_ days: [StatsDay: Int64], _ range: Range<StatsDay>) -> Int64 {
            days.reduce(0) { range.contains($1.key) ? $0 + $1.value : $0 }
        }
        let newThisMonth = sum(created, periods.month)
        // Live clients created before the month began: all of them but those created since
        // (including any dated after the month, when `asOf` is in the past).
        let createdSinceMonthStart = created.reduce(Int64(0)) { $1.key >= periods.month.lowerBound ? $0 + $1.value : $0 }
        let beforeMonth = total - createdSinceMonthStart
        let paid = count(.plan, Plan.standard.rawValue) + count(.plan, Plan.premium.rawValue)
        var stats = ClientStats()
        stats.overview = .init(totalClients: total, activeClients: count(.status, ClientStatus.active.rawValue),
                               inactiveClients: count(.status, ClientStatus.inactive.rawValue),
                               suspendedClients: count(.status, ClientStatus.suspended.rawValue),
                               trialClients: count(.status, ClientStatus.trial.rawValue))
        stats.growth = .init(newClientsToday: created[periods.today] ?? 0, newClientsThisWeek: sum(created, periods.week),
                             newClientsThisMonth: newThisMonth,
                             growthRate: beforeMonth > 0 ? StatsRate.percent(newThisMonth, of: beforeMonth) : 0)
        stats.plans = .init(free: count(.plan, Plan.free.rawValue), standard: count(.plan, Plan.standard.rawValue),
                            premium: count(.plan, Plan.premium.rawValue), conversionRate: StatsRate.percent(paid, of: total))
        stats.accountTypes = .init(individual: count(.accountType, AccountType.individual.rawValue),
                                   business: count(.accountType, AccountType.business.rawValue),
                                   enterprise: count(.accountType, AccountType.enterprise.rawValue))
        stats.engagement = .init(averageSubmissions: StatsRate.ratio(submissions, per: total), totalSubmissions: submissions,
                                 activeThisWeek: sum(active, periods.week), activeThisMonth: sum(active, periods.month))
        stats.demographics = .init(topCountries: countries.map { .init(country: $0.value, count: $0.count) },
                                   topCompanies: companies.map { .init(company: $0.value, count: $0.count) },
                                   topIndustries: industries.map { .init(industry: $0.value, count: $0.count) })
        // Values differing only in canonically equivalent spelling are one key in a Swift
        // dictionary: their counts are added rather than one replacing the other.
        stats.providers = providers.reduce(into: [:]) { $0[$1.value, default: 0] += $1.count }
        return stats
    }
}
