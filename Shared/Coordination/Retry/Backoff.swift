/// The pause between attempts of a loop that retries until it succeeds: `initial` after the
/// first failure, doubling after each further one up to `maximum`, and `initial` again once
/// an attempt succeeds (`reset`).
///
/// The services' loops (outbox relay, projection runner, rebuild, the gateway's feed
/// follower) each keep one, with their own `initial`; all cap at 5 s.
public struct Backoff: Sendable {
    public let initial: Duration
    public let maximum: Duration
    /// The pause the next failure waits.
    public private(set) var delay: Duration

    public init(initial: Duration, maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
        self.delay = min(initial, maximum)
    }

    /// After a success: the next failure waits `initial` again.
    public mutating func reset() {
        delay = min(initial, maximum)
    }

    /// After a failure: the pause to wait now; the one after it is twice as long, up to `maximum`.
    public mutating func next() -> Duration {
        defer { delay = min(delay * 2, maximum) }
        return delay
    }

    /// After a failure: waits `next()` (returning early if the task is cancelled).
    public mutating func pause() async {
        try? await Task.sleep(for: next())
    }
}
