/// What a service reports about its background work (`GET` `InternalPaths.status`), for
/// `clientctl status`: the projections it keeps, or its outbox.
public struct ServiceStatus: Codable, Sendable, Equatable {
    /// The service's name (`search-projection`, `command-service`).
    public var service: String
    /// The projections it keeps (projection services).
    public var projections: [ProjectionStatus]?
    /// Its outbox (the command service).
    public var outbox: OutboxStatus?

    public init(service: String, projections: [ProjectionStatus]? = nil, outbox: OutboxStatus? = nil) {
        self.service = service
        self.projections = projections
        self.outbox = outbox
    }
}

/// One projection's position in the events log.
public struct ProjectionStatus: Codable, Sendable, Equatable {
    /// One partition: the next offset the projection will apply, and the log's end (high
    /// watermark) as its consumer last fetched it (nil until it has fetched).
    public struct Partition: Codable, Sendable, Equatable {
        public var partition: Int32
        public var position: Int64
        public var end: Int64?

        public init(partition: Int32, position: Int64, end: Int64?) {
            self.partition = partition
            self.position = position
            self.end = end
        }
    }

    public var name: String
    /// Whether its consumer polled successfully lately (readiness uses the same test).
    public var running: Bool
    public var partitions: [Partition]
    /// Streams parked in its quarantine, waiting for an operator (`clientctl quarantine`).
    public var parkedStreams: Int

    public init(name: String, running: Bool, partitions: [Partition], parkedStreams: Int = 0) {
        self.name = name
        self.running = running
        self.partitions = partitions
        self.parkedStreams = parkedStreams
    }
}

/// The command service's outbox: what waits to be published, and what was.
public struct OutboxStatus: Codable, Sendable, Equatable {
    /// The next offset after the last event the relay published, per partition of the events
    /// topic: the command service's own record of the log's end.
    public struct PublishedOffset: Codable, Sendable, Equatable {
        public var partition: Int32
        public var nextOffset: Int64

        public init(partition: Int32, nextOffset: Int64) {
            self.partition = partition
            self.nextOffset = nextOffset
        }
    }

    /// Entries waiting to be published.
    public var entries: Int64
    /// False when `entries` is an upper-bound estimate (a very large backlog).
    public var exact: Bool
    /// Seconds the oldest waiting entry has waited; 0 when empty.
    public var oldestAgeSeconds: Double
    public var published: [PublishedOffset]

    public init(entries: Int64, exact: Bool, oldestAgeSeconds: Double, published: [PublishedOffset]) {
        self.entries = entries
        self.exact = exact
        self.oldestAgeSeconds = oldestAgeSeconds
        self.published = published
    }
}
