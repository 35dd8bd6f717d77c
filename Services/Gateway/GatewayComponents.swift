import Identity

/// What the gateway's adapters are built from: its stores, upstream clients and settings.
///
/// `main.swift` makes them from the configuration; tests make them without connecting to
/// anything (nothing here connects before its first use).
struct GatewayComponents: Sendable {
    var identity: IdentityStore
    /// The care access audit (in `identity`'s database).
    var careAccessLog: CareAccessLog
    var sessions: SessionSettings
    var commands: CommandClient
    var search: SearchClient
    var stats: StatsClient
    var documents: DocumentClient
    /// crm-sync, for the companies' CRM sync settings.
    var crm: CRMSyncClient
    /// Read-your-writes against the search projection (every API's reads) and the stats
    /// projection (the admin API's figures too).
    var searchVisibility: ProjectionVisibility
    var statsVisibility: ProjectionVisibility
    var readYourWritesTimeout: Duration
    /// Per-principal rate limits; nil when `RATE_LIMIT_REQUESTS` or `RATE_LIMIT_WINDOW_SECONDS` is 0.
    var rateLimiter: RateLimiter?
}
