import ServiceRuntime

/// How many requests one principal (an API key or a staff user) may make per window, read
/// from `RATE_LIMIT_REQUESTS` (600) and `RATE_LIMIT_WINDOW_SECONDS` (60); either at 0
/// turns the limit off.
///
/// The budget refills continuously (a token bucket of `requests` tokens refilled at
/// `requests / window`), so a principal may burst `requests` at once and then sustain
/// `requests` per window, never more.
struct RateLimitPolicy: Sendable, Equatable {
    var requests: Int
    var windowSeconds: Int

    init(requests: Int, windowSeconds: Int) {
        precondition(requests > 0 && windowSeconds > 0, "a rate limit needs a positive budget and window")
        self.requests = requests
        self.windowSeconds = windowSeconds
    }

    /// The configured policy, or nil when either variable is 0.
    static func configured(by environment: EnvironmentReader) throws -> RateLimitPolicy? {
        let requests = try environment.int("RATE_LIMIT_REQUESTS", default: 600, in: 0...1_000_000)
        let window = try environment.int("RATE_LIMIT_WINDOW_SECONDS", default: 60, in: 0...86_400)
        guard requests > 0, window > 0 else { return nil }
        return RateLimitPolicy(requests: requests, windowSeconds: window)
    }

    /// The `RateLimit-Policy` value (IETF draft 7 syntax): `600;w=60`.
    var headerValue: String { "\(requests);w=\(windowSeconds)" }
}
