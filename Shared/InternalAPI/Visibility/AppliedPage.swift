import Foundation

/// A page of a projection's applied-versions feed (`InternalPaths.applied`): the stream
/// versions its commits made visible after a cursor, for the gateway's read-your-writes.
///
/// A follower asks with the `epoch` and `next` of its last page. `complete` is false when the
/// projection cannot say what happened since then (it restarted, the cursor fell out of what
/// it keeps, or a rebuild swapped its tables in): the follower must then check its waiting
/// writes another way, and follow on from this page's `next`.
public struct AppliedPage: Sendable, Equatable {
    /// Names the feed: a new one each time the projection starts.
    public var epoch: String
    /// The cursor to ask with next.
    public var next: UInt64
    public var complete: Bool
    /// In commit order; a stream may appear more than once.
    public var applied: [AppliedVersion]
    /// The stream versions the page's commits parked (the projection's quarantine), in commit
    /// order. A stream parked at a version stays parked until a later version of it is applied.
    public var parked: [AppliedVersion]

    public init(epoch: String, next: UInt64, complete: Bool, applied: [AppliedVersion], parked: [AppliedVersion] = []) {
        self.epoch = epoch
        self.next = next
        self.complete = complete
        self.applied = applied
        self.parked = parked
    }
}
