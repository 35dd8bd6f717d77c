import Foundation
import Postgres

extension PostgresEventStore {
    /// Up to this many outbox entries are counted exactly; beyond it the backlog is estimated.
    public static let exactBacklogLimit = 100_000

    /// The outbox's backlog, cheap enough to read every few seconds whatever its size.
    ///
    /// The oldest entry is found through the primary key (lowest position), and the count
    /// reads at most `exactBacklogLimit` rows; a larger backlog is given as the span between
    /// the lowest and highest waiting positions (two index lookups).
    public func outboxBacklog() async throws -> OutboxBacklog {
        let row = try await pool.query("""
            SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox LIMIT $1) AS capped),
                   (SELECT COALESCE(max(position) - min(position) + 1, 0) FROM outbox),
                   COALESCE((SELECT EXTRACT(EPOCH FROM now() - enqueued_at)::float8 FROM outbox ORDER BY position LIMIT 1), 0)
            """, [Self.exactBacklogLimit + 1])[0]
        let counted = try row.decode(0, as: Int64.self)
        let span = try row.decode(1, as: Int64.self)
        let exact = counted <= Int64(Self.exactBacklogLimit)
        return OutboxBacklog(entries: exact ? counted : max(span, counted), isExact: exact,
                             oldestAgeSeconds: max(0, try row.decode(2, as: Double.self)))
    }

    /// The relay's record of the log's end on `topic`: the next offset per partition after
    /// the last event it published there (partitions it never published to are absent).
    public func publishedOffsets(topic: String) async throws -> [Int32: Int64] {
        var offsets: [Int32: Int64] = [:]
        for row in try await pool.query("SELECT partition, next_offset FROM published_offsets WHERE topic = $1", [topic]) {
            offsets[try row.decode(0, as: Int32.self)] = try row.decode(1, as: Int64.self)
        }
        return offsets
    }
}
