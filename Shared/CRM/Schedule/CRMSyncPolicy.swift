/// The numbers the sync schedule works by (docs/api/crm-sync.md, "Failures").
public struct CRMSyncPolicy: Sendable, Equatable {
    /// Tries of one change (failed calls: 5xx, time-outs, refused connections) before it is
    /// dead-lettered. A 429 is not a failed try: it only delays.
    public var maxAttempts = 8
    /// The first pause after a failed call to a company's CRM; it doubles per further
    /// failure up to `backoffMaximum`, each with equal jitter.
    public var backoffInitial: Duration = .seconds(1)
    public var backoffMaximum: Duration = .seconds(60)
    /// The longest `Retry-After` honoured; a CRM asking for more is asked again after this.
    public var maxRetryAfter: Duration = .seconds(600)

    public init(maxAttempts: Int = 8, backoffInitial: Duration = .seconds(1), backoffMaximum: Duration = .seconds(60),
                maxRetryAfter: Duration = .seconds(600)) {
        self.maxAttempts = maxAttempts
        self.backoffInitial = backoffInitial
        self.backoffMaximum = backoffMaximum
        self.maxRetryAfter = maxRetryAfter
    }
}
