import Foundation

/// The stats projection's figures for a set of tenants (`GET` `InternalPaths.stats`), in
/// the admin API's `stats` shape.
///
/// Every figure is kept as counters by the stats projection (constant work per event);
/// nothing here is computed by scanning clients. "Today", "this week" (from Monday) and
/// "this month" are UTC calendar periods containing `asOf`.
public struct ClientStats: Codable, Sendable, Equatable {
    public struct Overview: Codable, Sendable, Equatable {
        public var totalClients: Int64
        public var activeClients: Int64
        public var inactiveClients: Int64
        public var suspendedClients: Int64
        public var trialClients: Int64
        public init(totalClients: Int64 = 0, activeClients: Int64 = 0, inactiveClients: Int64 = 0, suspendedClients: Int64 = 0,
                    trialClients: Int64 = 0) {
            self.totalClients = totalClients
            self.activeClients = activeClients
            self.inactiveClients = inactiveClients
            self.suspendedClients = suspendedClients
            self.trialClients = trialClients
        }
    }

    /// `growthRate`: clients created this month as a percentage of the live clients that
    /// existed before the month began (clients created before the month and not deleted),
    /// one decimal; 0 when there were none.
    public struct Growth: Codable, Sendable, Equatable {
        public var newClientsToday: Int64
        public var newClientsThisWeek: Int64
        public var newClientsThisMonth: Int64
        public var growthRate: Double
        public init(newClientsToday: Int64 = 0, newClientsThisWeek: Int64 = 0, newClientsThisMonth: Int64 = 0, growthRate: Double = 0) {
            self.newClientsToday = newClientsToday
            self.newClientsThisWeek = newClientsThisWeek
            self.newClientsThisMonth = newClientsThisMonth
            self.growthRate = growthRate
        }
    }

    /// Live clients per plan (a client without one counts as `free`); `conversionRate` is the
    /// paid share (standard + premium) of all live clients in percent, one decimal.
    public struct Plans: Codable, Sendable, Equatable {
        public var free: Int64
        public var standard: Int64
        public var premium: Int64
        public var conversionRate: Double
        public init(free: Int64 = 0, standard: Int64 = 0, premium: Int64 = 0, conversionRate: Double = 0) {
            self.free = free
            self.standard = standard
            self.premium = premium
            self.conversionRate = conversionRate
        }
    }

    /// Live clients per account type (none counts as `individual`).
    public struct AccountTypes: Codable, Sendable, Equatable {
        public var individual: Int64
        public var business: Int64
        public var enterprise: Int64
        public init(individual: Int64 = 0, business: Int64 = 0, enterprise: Int64 = 0) {
            self.individual = individual
            self.business = business
            self.enterprise = enterprise
        }
    }

    /// `averageSubmissions` = totalSubmissions / totalClients (one decimal, 0 without
    /// clients); `activeThisWeek`/`activeThisMonth` count live clients whose last activity
    /// falls in the current UTC week/month.
    public struct Engagement: Codable, Sendable, Equatable {
        public var averageSubmissions: Double
        public var totalSubmissions: Int64
        public var activeThisWeek: Int64
        public var activeThisMonth: Int64
        public init(averageSubmissions: Double = 0, totalSubmissions: Int64 = 0, activeThisWeek: Int64 = 0, activeThisMonth: Int64 = 0) {
            self.averageSubmissions = averageSubmissions
            self.totalSubmissions = totalSubmissions
            self.activeThisWeek = activeThisWeek
            self.activeThisMonth = activeThisMonth
        }
    }

    public struct CountryCount: Codable, Sendable, Equatable {
        public var country: String
        public var count: Int64
        public init(country: String, count: Int64) { self.country = country; self.count = count }
    }

    public struct CompanyCount: Codable, Sendable, Equatable {
        public var company: String
        public var count: Int64
        public init(company: String, count: Int64) { self.company = company; self.count = count }
    }

    public struct IndustryCount: Codable, Sendable, Equatable {
        public var industry: String
        public var count: Int64
        public init(industry: String, count: Int64) { self.industry = industry; self.count = count }
    }

    /// The top 10 of each, by count (ties by name); the country is the last comma-separated
    /// part of `location`, trimmed; values are grouped exactly as written.
    public struct Demographics: Codable, Sendable, Equatable {
        public var topCountries: [CountryCount]
        public var topCompanies: [CompanyCount]
        public var topIndustries: [IndustryCount]
        public init(topCountries: [CountryCount] = [], topCompanies: [CompanyCount] = [], topIndustries: [IndustryCount] = []) {
            self.topCountries = topCountries
            self.topCompanies = topCompanies
            self.topIndustries = topIndustries
        }
    }

    public var overview: Overview
    public var growth: Growth
    public var plans: Plans
    public var accountTypes: AccountTypes
    public var engagement: Engagement
    public var demographics: Demographics
    /// Live clients per authentication provider (clients without one are not counted).
    public var providers: [String: Int64]

    public init(overview: Overview = .init(), growth: Growth = .init(), plans: Plans = .init(), accountTypes: AccountTypes = .init(),
                engagement: Engagement = .init(), demographics: Demographics = .init(), providers: [String: Int64] = [:]) {
        self.overview = overview
        self.growth = growth
        self.plans = plans
        self.accountTypes = accountTypes
        self.engagement = engagement
        self.demographics = demographics
        self.providers = providers
    }
}
