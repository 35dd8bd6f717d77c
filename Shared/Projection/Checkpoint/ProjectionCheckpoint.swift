/// Where a projection stands on each partition of the events topic: the next offset it will
/// apply, and the end of the log as far as the consumer has seen it.
///
/// A pure state machine: the runner feeds it what the consumer reported (records applied,
/// partition EOFs) and reads lag and "caught up" from it. It never talks to the broker, so
/// the end of a partition is only known from a fetch: an EOF event (whose next offset is the
/// high watermark) or a record past the last known end. Tansu's ListOffsets answer is not
/// used (it is wrong for batches of several records).
public struct ProjectionCheckpoint: Sendable, Equatable {
    /// One partition's position.
    public struct Partition: Sendable, Equatable {
        /// The offset of the next record to apply (everything before it is applied).
        public var next: Int64
        /// The log's end (high watermark) the consumer last saw; nil until it has seen one.
        public var end: Int64?

        public init(next: Int64, end: Int64? = nil) {
            self.next = next
            self.end = end
        }

        /// Records known to be in the log and not yet applied; nil while the end is unknown.
        public var lag: Int64? { end.map { max(0, $0 - next) } }
    }

    public private(set) var partitions: [Int32: Partition]

    /// Starts at the stored next offsets; partitions without one start at 0.
    public init(partitionCount: Int32, stored: [Int32: Int64] = [:]) {
        var partitions: [Int32: Partition] = [:]
        for partition in 0..<partitionCount {
            partitions[partition] = Partition(next: max(0, stored[partition] ?? 0))
        }
        self.partitions = partitions
    }

    /// The next offset of every partition, for storing or assigning.
    public var nextOffsets: [Int32: Int64] { partitions.mapValues(\.next) }

    /// Notes that the record at `offset` was applied (in a committed transaction).
    ///
    /// Offsets only move forward: a record at or behind `next` (redelivered) changes nothing.
    /// A record past the known end moves the end with it.
    public mutating func applied(partition: Int32, offset: Int64) {
        guard var state = partitions[partition] else { return }
        state.next = max(state.next, offset + 1)
        if let end = state.end, end < state.next { state.end = state.next }
        partitions[partition] = state
    }

    /// Notes that the consumer reached the end of `partition`: `nextOffset` is the high
    /// watermark the fetch reported. The end never moves backwards (the log only grows).
    public mutating func reachedEnd(partition: Int32, nextOffset: Int64) {
        guard var state = partitions[partition] else { return }
        state.end = max(state.end ?? nextOffset, nextOffset)
        partitions[partition] = state
    }

    /// Moves a partition to `next` (after an operator reset or a swap); the known end stays.
    public mutating func reset(partition: Int32, to next: Int64) {
        guard var state = partitions[partition] else { return }
        state.next = max(0, next)
        partitions[partition] = state
    }

    /// True when every partition has reported an end and has applied up to it.
    public var isCaughtUp: Bool {
        partitions.values.allSatisfy { state in state.end.map { state.next >= $0 } ?? false }
    }

    /// Total lag over partitions whose end is known.
    public var totalLag: Int64 { partitions.values.reduce(0) { $0 + ($1.lag ?? 0) } }

    /// Whether this position is at or past `other` on every partition: what a rebuild's
    /// shadow must reach before it may replace the live read model.
    public func hasReached(_ other: [Int32: Int64]) -> Bool {
        other.allSatisfy { partition, next in (partitions[partition]?.next ?? 0) >= next }
    }
}
