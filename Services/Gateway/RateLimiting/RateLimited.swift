import Errors

/// A principal spent its request budget: answered 429 (`resource_exhausted`) in the API's
/// own error envelope, with `Retry-After` added by `RateLimitHeaders`.
struct RateLimited: Error, ClienteleErrorConvertible {
    var decision: RateLimitDecision

    var clienteleError: ClienteleError {
        let policy = decision.policy
        return ClienteleError(.resourceExhausted, "Rate limit of \(Self.count(policy.requests, "request")) per "
                                  + "\(Self.count(policy.windowSeconds, "second")) exceeded; "
                                  + "retry in \(Self.count(decision.retryAfterSeconds, "second"))")
    }

    private static func count(_ n: Int, _ noun: String) -> String { n == 1 ? "1 \(noun)" : "\(n) \(noun)s" }
}
