/// What a reader holds of one key, for `VersionWaiters`: the version it applied, and the
/// highest version it parked (the key waits, from the first parked version on, for an operator).
public struct HeldVersion: Sendable, Equatable {
    /// The version applied; nil when the reader has none of the key.
    public var applied: Int64?
    /// The highest version parked; nil when the key is not parked.
    public var parked: Int64?

    public init(applied: Int64? = nil, parked: Int64? = nil) {
        self.applied = applied
        self.parked = parked
    }

    /// Whether waiting for a write at `version` is over: it was applied, or parked.
    public func settles(_ version: Int64) -> Bool { (applied ?? 0) >= version || (parked ?? 0) >= version }
}
