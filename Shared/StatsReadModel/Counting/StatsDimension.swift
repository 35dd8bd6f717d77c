/// What a row of `stats_counts` (the fixed dimensions) or `stats_top_counts` (the listed
/// ones) counts live clients by (its `dimension` column).
///
/// `total` holds two values: `clients` (live clients) and `submissions` (their submissions
/// added up). `plan` counts a client without one as `free`, `accountType` one without one as
/// `individual`; the free-text dimensions count only values `StatsValue` counts.
public enum StatsDimension: String, Sendable, CaseIterable {
    case total
    case status
    case plan
    case accountType = "account_type"
    case provider
    case country
    case company
    case industry

    /// The `total` dimension's values.
    public static let clients = "clients"
    public static let submissions = "submissions"

    /// The dimensions with a handful of fixed values, summed whole for every answer.
    public static let fixed: [StatsDimension] = [.total, .status, .plan, .accountType]
    /// The dimensions answered as top lists, kept in `stats_top_counts` (indexed by count).
    public static let listed: [StatsDimension] = [.provider, .country, .company, .industry]

    /// Whether this dimension is answered as a top list (one of `listed`).
    public var isListed: Bool { Self.listed.contains(self) }
}

/// What a row of `stats_days` counts live clients by (its `kind` column): the UTC day each
/// was created, or the day of its last activity.
public enum StatsDayKind: String, Sendable, CaseIterable {
    case created
    case active
}
