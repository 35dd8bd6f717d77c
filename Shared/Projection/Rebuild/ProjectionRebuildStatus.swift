import Foundation

/// Where a projection's rebuild stands.
public struct ProjectionRebuildStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Never rebuilt.
        case idle
        case running
        /// The last rebuild finished and its tables serve queries.
        case done
    }

    /// One partition: the shadow's next offset, the end of the log its consumer last saw,
    /// and the live projection's next offset (what the shadow must reach to swap).
    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var position: Int64
        public var end: Int64?
        public var live: Int64
    }

    public var state: State
    /// Events handled by the rebuild since it started (across restarts).
    public var eventsApplied: Int64
    /// The rate since this process started or resumed the rebuild; 0 when not running here.
    public var eventsPerSecond: Double
    public var startedAt: Date?
    public var finishedAt: Date?
    public var partitions: [Partition]
}
