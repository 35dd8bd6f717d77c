import Foundation

/// A projection rebuild's progress, as the search projection reports it
/// (`GET`/`POST` `InternalPaths.rebuild`) and `clientctl rebuild` shows it.
public struct RebuildProgress: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Never rebuilt.
        case idle
        case running
        /// The last rebuild has swapped in.
        case done
    }

    /// One partition: the shadow's next offset, the log end its consumer last saw (nil
    /// until seen), and the live projection's next offset, which the shadow must reach.
    public struct Partition: Codable, Sendable, Equatable {
        public var partition: Int32
        public var position: Int64
        public var end: Int64?
        public var live: Int64

        public init(partition: Int32, position: Int64, end: Int64?, live: Int64) {
            self.partition = partition
            self.position = position
            self.end = end
            self.live = live
        }
    }

    public var state: State
    public var eventsApplied: Int64
    public var eventsPerSecond: Double
    public var startedAt: Date?
    public var finishedAt: Date?
    public var partitions: [Partition]

    public init(state: State, eventsApplied: Int64, eventsPerSecond: Double, startedAt: Date?, finishedAt: Date?,
                partitions: [Partition]) {
        self.state = state
        self.eventsApplied = eventsApplied
        self.eventsPerSecond = eventsPerSecond
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.partitions = partitions
    }
}

extension InternalPaths {
    /// Search projection: `POST` starts a rebuild of its read model (or reports the one
    /// running), `GET` reports progress; both answer a `RebuildProgress`.
    public static let rebuild = "/internal/v1/admin/rebuild"
}
