import HTTP

/// The limiter's answer for one request, with what the `RateLimit-*` headers tell the caller.
struct RateLimitDecision: Sendable, Equatable {
    var allowed: Bool
    var policy: RateLimitPolicy
    /// Requests the principal may still make right away.
    var remaining: Int
    /// Seconds until the whole budget is available again (rounded up).
    var resetSeconds: Int
    /// When refused, seconds until one request is admitted again (rounded up, at least 1); 0
    /// when allowed.
    var retryAfterSeconds: Int

    /// Adds `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`,
    /// and `Retry-After` when the request was refused.
    func addHeaders(to headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: "RateLimit-Limit", value: String(policy.requests))
        headers.replaceOrAdd(name: "RateLimit-Remaining", value: String(remaining))
        headers.replaceOrAdd(name: "RateLimit-Reset", value: String(resetSeconds))
        headers.replaceOrAdd(name: "RateLimit-Policy", value: policy.headerValue)
        if !allowed { headers.replaceOrAdd(name: "Retry-After", value: String(retryAfterSeconds)) }
    }
}
