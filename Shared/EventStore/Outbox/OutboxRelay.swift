import Foundation
import Kafka
import Postgres
import ServiceRuntime

/// Publishes the event store's outbox to the Kafka events topic, in position order.
///
/// One relay at a time is active across all command-service instances: it holds a lease row
/// (`relay_lease`) renewed with every batch; another instance takes over when the lease
/// expires. Each round reads up to `batchSize` entries, sends them with the idempotent
/// producer, and in one transaction deletes what Kafka acknowledged and records the next
/// offset per partition. Nothing is lost if the process dies between send and delete: the
/// entries are sent again, and consumers drop duplicates by stream version.
///
/// After a failure it backs off (doubling up to `maxBackoff`) and, if the producer reports
/// itself unhealthy (fenced or stalled after a broker restart), builds a new one.
public final class OutboxRelay: Service, @unchecked Sendable {
    // @unchecked Sendable: `producer` is only replaced and read by the relay's own `run()`
    // loop (one task); everything else is immutable.
    public let name = "outbox-relay"
    private let pool: PostgresPool
    private let topic: String
    private let makeProducer: @Sendable () throws -> KafkaProducer
    private var producer: KafkaProducer?
    private let holder = UUID().uuidString
    private let logger: Logger
    private let wake: RelayWakeup
    public var batchSize = 500
    public var idlePoll: Duration = .milliseconds(50)
    public var leaseDuration: Duration = .seconds(10)
    public var maxBackoff: Duration = .seconds(5)
    private let metrics: Metrics
    private let backlogEntries: Gauge
    private let backlogAge: Gauge
    private var lastBacklogReading = ContinuousClock.now - .seconds(60)

    struct Metrics {
        let published: Counter
        let failures: Counter
        let rebuilds: Counter
    }

    public init(pool: PostgresPool, topic: String, logger: Logger, metrics: MetricsRegistry, wake: RelayWakeup,
                makeProducer: @escaping @Sendable () throws -> KafkaProducer) {
        self.pool = pool
        self.topic = topic
        self.logger = logger
        self.wake = wake
        self.makeProducer = makeProducer
        self.metrics = Metrics(published: metrics.counter("clientele_outbox_published_total", help: "Events the relay published."),
                               failures: metrics.counter("clientele_outbox_send_failures_total", help: "Events Kafka did not acknowledge."),
                               rebuilds: metrics.counter("clientele_outbox_producer_rebuilds_total", help: "Producers rebuilt after failures."))
        self.backlogEntries = metrics.gauge("clientele_outbox_backlog_entries", help: "Outbox entries waiting to be published.")
        self.backlogAge = metrics.gauge("clientele_outbox_oldest_entry_age_seconds", help: "Age of the oldest outbox entry; 0 when empty.")
    }

    public func run() async throws {
        var backoff: Duration = .milliseconds(100)
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            do {
                if ContinuousClock.now - lastBacklogReading >= .seconds(1) { try await readBacklog() }
                let sent = try await relayOnce()
                backoff = .milliseconds(100)
                if sent == 0 { await wake.wait(upTo: idlePoll) }
            } catch {
                metrics.failures.increment()
                logger.warning("outbox relay round failed", ["error": String(describing: error)])
                if let producer, !producer.isHealthy {
                    logger.warning("rebuilding the Kafka producer")
                    await producer.close(timeout: .seconds(1))
                    self.producer = nil
                    metrics.rebuilds.increment()
                }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maxBackoff)
            }
        }
        if let producer { await producer.close(timeout: .seconds(5)) }
    }

    /// One round: take the lease, read a batch, send it, settle it. Returns entries published.
    func relayOnce() async throws -> Int {
        let leaseSeconds = Double(leaseDuration.components.seconds)
        let (isLeader, events) = try await pool.withTransaction { [holder, batchSize] connection -> (Bool, [StoredEvent]) in
            let lease = try connection.query("""
                INSERT INTO relay_lease (name, holder, expires_at) VALUES ('outbox', $1, now() + make_interval(secs => $2))
                ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                    WHERE relay_lease.holder = EXCLUDED.holder OR relay_lease.expires_at < now()
                RETURNING holder
                """, [holder, leaseSeconds])
            guard lease.count == 1 else { return (false, []) }
            let rows = try connection.query("""
                SELECT e.position, \(PostgresEventStore.columns) FROM outbox o JOIN events e ON e.position = o.position
                ORDER BY o.position LIMIT $1
                """, [batchSize])
            return (true, try rows.map { StoredEvent(position: try $0.decode(0, as: Int64.self),
                                                     envelope: try PostgresEventStore.envelope(from: $0, startingAt: 1)) })
        }
        guard isLeader else {
            try await Task.sleep(for: .seconds(1))
            return 0
        }
        guard !events.isEmpty else { return 0 }
        let producer = try currentProducer()
        let results = try await producer.sendBatch(events.map { CloudEventsKafkaBinding.message(for: $0, topic: topic) })
        let batch = OutboxBatch.settle(events, results: results)
        let published = batch.published.map(\.position)
        try await pool.withTransaction { connection in
            if !published.isEmpty {
                try connection.execute("DELETE FROM outbox WHERE position = ANY($1::bigint[])", [Self.arrayLiteral(published)])
            }
            for (partition, next) in batch.nextOffsets {
                try connection.execute("""
                    INSERT INTO published_offsets (topic, partition, next_offset) VALUES ($1, $2, $3)
                    ON CONFLICT (topic, partition) DO UPDATE SET next_offset = GREATEST(published_offsets.next_offset, EXCLUDED.next_offset)
                    """, [partition.topic, Int(partition.partition), next])
            }
        }
        metrics.published.increment(by: Double(published.count))
        if !batch.retry.isEmpty {
            metrics.failures.increment(by: Double(batch.retry.count))
            throw RelayIncomplete(failed: batch.retry.count)
        }
        return published.count
    }

    private func currentProducer() throws -> KafkaProducer {
        if let producer { return producer }
        let fresh = try makeProducer()
        producer = fresh
        return fresh
    }

    /// A PostgreSQL array literal of integers, sent as one text parameter.
    static func arrayLiteral(_ values: [Int64]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }

    /// Updates the backlog gauges (at most once a second; see `PostgresEventStore.outboxBacklog`
    /// for why that stays cheap with a large backlog).
    private func readBacklog() async throws {
        lastBacklogReading = ContinuousClock.now
        let backlog = try await PostgresEventStore(pool: pool).outboxBacklog()
        backlogEntries.set(Double(backlog.entries))
        backlogAge.set(backlog.oldestAgeSeconds)
    }

    struct RelayIncomplete: Error, CustomStringConvertible {
        var failed: Int
        var description: String { "\(failed) events were not acknowledged by Kafka; they stay in the outbox" }
    }
}
