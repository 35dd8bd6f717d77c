extension Backoff {
    /// After a failure: `next()` with "equal jitter": half of it, plus a random part of the
    /// other half. Callers that many clients of one server share (the CRM sync's companies)
    /// use it so that their retries after one outage do not arrive together.
    public mutating func nextJittered(using random: inout some RandomNumberGenerator) -> Duration {
        let delay = next()
        let half = delay / 2
        let halfNanoseconds = half.components.seconds * 1_000_000_000 + half.components.attoseconds / 1_000_000_000
        guard halfNanoseconds > 0 else { return delay }
        return half + .nanoseconds(Int64.random(in: 0...halfNanoseconds, using: &random))
    }
}
