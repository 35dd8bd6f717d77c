/// What waits in the outbox: how many entries, and how long the oldest has waited.
public struct OutboxBacklog: Sendable, Equatable {
    /// Entries not yet published.
    public var entries: Int64
    /// False when `entries` is an estimate: above `PostgresEventStore.exactBacklogLimit` it is
    /// the span of waiting positions, an upper bound (positions a rolled-back append took
    /// leave gaps).
    public var isExact: Bool
    /// Seconds the oldest waiting entry (lowest position) has waited; 0 when empty.
    public var oldestAgeSeconds: Double

    public init(entries: Int64, isExact: Bool, oldestAgeSeconds: Double) {
        self.entries = entries
        self.isExact = isExact
        self.oldestAgeSeconds = oldestAgeSeconds
    }
}
