/// What a read model holds of one stream, for read-your-writes: the version it applied, and
/// the highest version it parked (the stream waits in its quarantine from the first parked
/// one on).
public struct StreamVisibility: Sendable, Equatable {
    /// The version applied; nil when the read model has none of the stream.
    public var applied: Int64?
    /// The highest version parked; nil when the stream is not parked.
    public var parked: Int64?

    public init(applied: Int64? = nil, parked: Int64? = nil) {
        self.applied = applied
        self.parked = parked
    }

    /// Whether a write at `version` is visible.
    public func isVisible(_ version: Int64) -> Bool { (applied ?? 0) >= version }

    /// Whether a write at `version` waits in the quarantine: it will not show until an operator acts.
    public func isParked(_ version: Int64) -> Bool { (parked ?? 0) >= version }

    /// Whether waiting for a write at `version` is over: it shows, or it was parked.
    public func settles(_ version: Int64) -> Bool { isVisible(version) || isParked(version) }
}
