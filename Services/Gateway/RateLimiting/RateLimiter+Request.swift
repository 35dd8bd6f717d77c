extension RateLimiter {
    /// Counts one request of `principal`, the request being handled having just authenticated
    /// as it: records the decision for the response's headers and throws `RateLimited` when
    /// the budget is spent. Call it once per request.
    func enforce(_ principal: RateLimitPrincipal) throws {
        let decision = admit(principal)
        RateLimitHeaders.record(decision)
        guard decision.allowed else { throw RateLimited(decision: decision) }
    }
}
