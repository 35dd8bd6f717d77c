import Coordination
import EventLog
import Foundation
import Kafka
import Postgres
import ServiceRuntime

/// Publishes the event store's outbox to the Kafka events topic, in position order.
///
/// One relay at a time is active across all command-service instances: it holds a lease row
/// (`relay_lease`), checked every round and renewed once half of it has run; another instance
/// takes over when the lease expires. Each round reads up to `batchSize` entries, sends them with the idempotent
/// producer, and deletes what Kafka acknowledged and records the next offset per partition;
/// after a round where everything went through, that settling is left to the start of the
/// next round (which runs at once). A round's database work is one pipeline: one round trip
/// and one implicit transaction (`startRound`). Nothing is
/// lost if the process dies between send and delete: the entries are sent again, and
/// consumers drop duplicates by stream version.
///
/// After a failure it backs off (doubling up to `maxBackoff`) and, if the producer reports
/// itself unhealthy (fenced or stalled after a broker restart), builds a new one.
///
/// Lost logs (see `OutboxRelay+Republish.swift`): with a `logCheck`, the leader checks every
/// `logCheckInterval` (and after a failed round) that the broker still holds what it
/// published, and notices a delivery landing below its record of the log end. Either way it
/// starts a `LogRepublish` and runs it instead of the outbox until done, so each client's
/// events reach the new log in order.
public final class OutboxRelay: Service, @unchecked Sendable {
    // @unchecked Sendable: `producer`, `unsettled`, the backlog reading time and the republish state (`recordedEnds`,
    // `lastLogCheck`, `checkLogSoon`, `takenUpEpoch`, `checkedFirstPublish`) are only read and
    // written by the relay's own `run()` loop (one task), or by a test driving `relayOnce`
    // alone; everything else is immutable.
    public let name = "outbox-relay"
    let pool: PostgresPool
    let topic: String
    private let makeProducer: @Sendable () throws -> KafkaProducer
    var producer: KafkaProducer?
    private let holder = UUID().uuidString
    let logger: Logger
    private let wake: RelayWakeup
    public var batchSize = 500
    /// Events per round of a republish (the whole store sent again after the broker lost its
    /// log): more than an outbox round, since a round's fixed costs (the read, the producer's
    /// flush, the transaction recording progress) set how long the read models wait for the
    /// log; the events of one round are held in memory while it runs.
    public var republishBatchSize = 5000
    public var idlePoll: Duration = .milliseconds(50)
    /// How long the lease lasts unrenewed: the longest a crashed leader (which renews nothing
    /// and releases nothing) holds up the log before another relay, or its own restart, takes over.
    public var leaseDuration: Duration = .seconds(3)
    public var maxBackoff: Duration = .seconds(5)
    let metrics: Metrics
    private let backlogEntries: Gauge
    private let backlogAge: Gauge
    private var lastBacklogReading = ContinuousClock.now - .seconds(60)
    /// Told what the relay deletes, to vacuum the outbox beside it; nil: autovacuum only.
    let vacuum: OutboxVacuum?
    /// Checks the broker still holds the log; nil: never checked (tests of the outbox alone).
    let logCheck: EventsLogCheck?
    /// How often the leader checks the log when nothing failed.
    public var logCheckInterval: Duration = .seconds(5)
    var lastLogCheck: ContinuousClock.Instant?
    var checkLogSoon = true
    /// The relay's record of the log end (`published_offsets`), read when it became leader
    /// and moved on by its own deliveries; nil: read it again.
    var recordedEnds: [Int32: Int64]?
    /// The republish this relay has taken up (resumed), so it notes that only once.
    var takenUpEpoch: Int64?
    var checkedFirstPublish = false
    /// Entries Kafka acknowledged in the last round, not yet deleted from the outbox, and the
    /// log ends they moved to: the next round's transaction settles them.
    var unsettled: Settlement?

    /// What a round leaves to settle: outbox positions to delete, next offsets to record.
    struct Settlement {
        var positions: [Int64]
        var ends: [KafkaTopicPartition: Int64]
    }

    struct Metrics {
        let published: Counter
        let failures: Counter
        let rebuilds: Counter
        let republished: Counter
        let logLosses: Counter
        /// Time from an event's occurrence (its envelope's `occurredAt`) to Kafka's acknowledgement.
        let publishAge: Histogram
        /// Time from handing a batch to the producer to its last delivery report.
        let sendDuration: Histogram
    }

    /// - Parameters:
    ///   - logCheck: how to check the broker still holds the log; nil disables the checks (a
    ///     delivery below the recorded end still starts a republish).
    ///   - vacuum: the outbox's vacuum service, told what each round deleted.
    public init(pool: PostgresPool, topic: String, logger: Logger, metrics: MetricsRegistry, wake: RelayWakeup,
                logCheck: EventsLogCheck? = nil, vacuum: OutboxVacuum? = nil,
                makeProducer: @escaping @Sendable () throws -> KafkaProducer) {
        self.pool = pool
        self.topic = topic
        self.logger = logger
        self.wake = wake
        self.logCheck = logCheck
        self.vacuum = vacuum
        self.makeProducer = makeProducer
        self.metrics = Metrics(published: metrics.counter("clientele_outbox_published_total", help: "Events the relay published."),
                               failures: metrics.counter("clientele_outbox_send_failures_total", help: "Events Kafka did not acknowledge."),
                               rebuilds: metrics.counter("clientele_outbox_producer_rebuilds_total", help: "Producers rebuilt after failures."),
                               republished: metrics.counter("clientele_outbox_republished_total",
                                                            help: "Events sent again by republishes of the whole store."),
                               logLosses: metrics.counter("clientele_events_log_losses_total",
                                                          help: "Times the broker was found to have lost the events log.",
                                                          labels: ["reason"]),
                               publishAge: metrics.histogram("clientele_outbox_publish_age_seconds",
                                                             help: "Time from an event's occurrence to Kafka's acknowledgement of it (outbox events).",
                                                             buckets: Histogram.pipelineDelayBuckets),
                               sendDuration: metrics.histogram("clientele_outbox_send_seconds",
                                                               help: "Time from handing a batch to the Kafka producer to its last delivery report."))
        self.backlogEntries = metrics.gauge("clientele_outbox_backlog_entries", help: "Outbox entries waiting to be published.")
        self.backlogAge = metrics.gauge("clientele_outbox_oldest_entry_age_seconds", help: "Age of the oldest outbox entry; 0 when empty.")
    }

    public func run() async throws {
        var backoff = Backoff(initial: .milliseconds(100), maximum: maxBackoff)
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            do {
                if ContinuousClock.now - lastBacklogReading >= .seconds(1) { try await readBacklog() }
                // Signals so far are for entries this round's read will see.
                wake.clear()
                let sent = try await relayOnce()
                backoff.reset()
                if sent == 0 { await wake.wait(upTo: idlePoll) }
            } catch {
                metrics.failures.increment()
                checkLogSoon = true
                logger.warning("outbox relay round failed", ["error": String(describing: error)])
                if let producer, !producer.isHealthy {
                    logger.warning("rebuilding the Kafka producer")
                    await producer.close(timeout: .seconds(1))
                    self.producer = nil
                    metrics.rebuilds.increment()
                }
                await backoff.pause()
            }
        }
        if unsettled != nil { try? await settle(nil) }
        if let producer { await producer.close(timeout: .seconds(5)) }
    }

    /// The relay's producer settings: `kafka` with `linger.ms` 0.1 unless it sets one.
    ///
    /// A round hands its whole batch to the producer at once, so waiting for more records
    /// (librdkafka's default 5 ms) only delays the round, and with it every read-your-writes
    /// answer. A tenth of a millisecond still lets one produce request carry the whole batch,
    /// and a round's send takes less time and creates run faster than with 1 ms (measured:
    /// docs/performance.md, design measurements).
    public static func producerConfiguration(_ kafka: KafkaConfiguration) -> KafkaConfiguration {
        var configuration = kafka
        if configuration.properties["linger.ms"] == nil && configuration.properties["queue.buffering.max.ms"] == nil {
            configuration.properties["linger.ms"] = "0.1"
        }
        return configuration
    }

    /// Deletes `unsettled` (and `more`) from the outbox and records their log ends, in one transaction.
    private func settle(_ more: Settlement?) async throws {
        let pending = [unsettled, more].compactMap { $0 }
        guard !pending.isEmpty else { return }
        _ = try await pool.withConnection { connection in
            try connection.pipeline(pending.flatMap(Self.settleStatements))
        }
        vacuum?.noteSettled(pending.reduce(0) { $0 + $1.positions.count })
        unsettled = nil
    }

    /// The oldest `$1` events still in the outbox, in position order.
    ///
    /// The events are fetched by position (`= ANY`), never joined to the outbox: a join's plan
    /// follows the outbox's statistics, which go stale as the queue swings between vacuums, and
    /// the prepared statement's generic plan then became a merge join walking `events_pkey`
    /// from the first event on every round, its time growing with the log (measured with
    /// pg_stat_statements: docs/performance.md, design measurements). Planned on every round
    /// (not prepared): a generic plan made while `events` was small scanned all of it on every
    /// round (auto_explain: `Seq Scan on events`, over 2 ms a round at about 12,000 events and
    /// growing with the log).
    static let pendingEventsSQL = """
        SELECT e.position, \(PostgresEventStore.columns) FROM events e
        WHERE e.position = ANY(ARRAY(SELECT position FROM outbox ORDER BY position LIMIT $1))
        ORDER BY e.position
        """

    /// The statements that delete `settlement`'s positions from the outbox and record its log ends.
    private static func settleStatements(_ settlement: Settlement) -> [PostgresStatement] {
        var statements: [PostgresStatement] = []
        if !settlement.positions.isEmpty {
            statements.append(PostgresStatement("DELETE FROM outbox WHERE position = ANY($1::bigint[])", [arrayLiteral(settlement.positions)]))
        }
        return statements + recordStatements(settlement.ends)
    }

    /// Takes or keeps the relay's lease (`$1`: holder, `$2`: lease seconds); one row when this holder has it.
    ///
    /// The holder renews its lease only once half of it has run, so most rounds write nothing
    /// here (a round that also finds nothing to settle commits without a flush).
    static let leaseSQL = """
        WITH held AS (
            SELECT holder FROM relay_lease
            WHERE name = 'outbox' AND holder = $1 AND expires_at > now() + make_interval(secs => $2 / 2)),
        taken AS (
            INSERT INTO relay_lease (name, holder, expires_at)
            SELECT 'outbox', $1, now() + make_interval(secs => $2) WHERE NOT EXISTS (SELECT 1 FROM held)
            ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE relay_lease.holder = EXCLUDED.holder OR relay_lease.expires_at < now()
            RETURNING holder)
        SELECT holder FROM held UNION ALL SELECT holder FROM taken
        """

    /// Makes the rest of a round's transaction commit without waiting for the WAL flush
    /// (`set_config` with `is_local`: the setting ends with the transaction, implicit or not).
    static let asyncCommitSQL = "SELECT set_config('synchronous_commit', 'off', true)"

    /// What the start of a round found.
    struct RoundStart: Sendable {
        var isLeader: Bool
        var latest: LogRepublish?
        /// The recorded log ends, when asked for.
        var ends: [Int32: Int64]?
        /// The oldest outbox entries; empty when not the leader or while a republish runs.
        var events: [StoredEvent]
    }

    /// Settles `previous`, takes or keeps the lease, and reads the latest republish, the
    /// recorded log ends (when `needsEnds`) and the oldest `batchSize` outbox entries.
    ///
    /// One pipeline, so one round trip and one implicit transaction: what Kafka acknowledged
    /// is settled whoever holds the lease now, and the read, which follows the settling in
    /// that transaction, never sees the settled entries. The read runs even when the lease
    /// is someone else's (it cannot wait for the lease's answer); its rows are then dropped.
    ///
    /// The round commits without waiting for its WAL flush (`asyncCommitSQL`): everything it
    /// writes may be lost in a database crash without harm. A lost settlement publishes its
    /// events again, which consumers already skip (a relay that dies between Kafka's
    /// acknowledgement and the settlement does the same); a lost lease renewal expires sooner;
    /// a lost record of the log's end is lower than the truth by the last few rounds, which the
    /// log check still compares correctly with a broker that lost its log (near zero). Waiting
    /// for the flush cost every round a disk flush, about 150 a second under creates, queued
    /// with the appends' own flushes.
    static func startRound(settling previous: Settlement?, holder: String, leaseSeconds: Double, needsEnds: Bool,
                           batchSize: Int, topic: String, on connection: PostgresConnection) throws -> RoundStart {
        var statements = [PostgresStatement(asyncCommitSQL)] + (previous.map(settleStatements) ?? [])
        let lease = statements.count
        statements.append(PostgresStatement(leaseSQL, [holder, leaseSeconds]))
        statements.append(PostgresStatement(LogRepublishes.latestSQL))
        statements.append(PostgresStatement(pendingEventsSQL, [batchSize], prepared: false))
        if needsEnds { statements.append(PostgresStatement(LogRepublishes.publishedEndsSQL, [topic])) }
        let results = try connection.pipeline(statements)
        guard results[lease].count == 1 else { return RoundStart(isLeader: false, latest: nil, ends: nil, events: []) }
        let latest = try results[lease + 1].first.map(LogRepublish.init(row:))
        let ends = needsEnds ? try LogRepublishes.publishedEnds(from: results[lease + 3]) : nil
        guard latest?.state != .running else { return RoundStart(isLeader: true, latest: latest, ends: ends, events: []) }
        let events = try results[lease + 2].map {
            StoredEvent(position: try $0.decode(0, as: Int64.self), envelope: try PostgresEventStore.envelope(from: $0, startingAt: 1))
        }
        return RoundStart(isLeader: true, latest: latest, ends: ends, events: events)
    }

    /// One round: settle the last round's batch, take the lease, read a batch, send it.
    /// Returns entries published.
    ///
    /// The batch is left for the next round to settle when all of it went through; after a
    /// failure, a lost log or a republish batch, it is settled before the round returns.
    /// While a republish runs, a round sends its next batch instead of the outbox's.
    func relayOnce() async throws -> Int {
        let leaseSeconds = Double(leaseDuration.components.seconds)
        let needsEnds = recordedEnds == nil
        let previous = unsettled
        let start = try await pool.withConnection { [holder, batchSize, topic] connection in
            try Self.startRound(settling: previous, holder: holder, leaseSeconds: leaseSeconds, needsEnds: needsEnds,
                                batchSize: batchSize, topic: topic, on: connection)
        }
        let (isLeader, latest, ends, events) = (start.isLeader, start.latest, start.ends, start.events)
        unsettled = nil
        vacuum?.noteSettled(previous?.positions.count ?? 0)
        guard isLeader else {
            recordedEnds = nil
            takenUpEpoch = nil
            try await Task.sleep(for: .seconds(1))
            return 0
        }
        if let ends { recordedEnds = ends }
        if let logCheck, isLogCheckDue, try await guardLog(logCheck, latest: latest) { return 0 }
        if let latest, latest.state == .running { return try await republishOnce(latest) }
        guard !events.isEmpty else { return 0 }
        let producer = try currentProducer()
        let epoch = latest?.epoch ?? 0
        let sending = ContinuousClock.now
        let results = try await producer.sendBatch(events.map { CloudEventsKafkaBinding.message(for: $0, topic: topic, logEpoch: epoch) })
        metrics.sendDuration.observe((ContinuousClock.now - sending).inSeconds)
        let batch = OutboxBatch.settle(events, results: results)
        let lost = lostPartition(results)
        let published = batch.published.map(\.position)
        let settlement = Settlement(positions: published, ends: batch.nextOffsets)
        if lost == nil && batch.retry.isEmpty {
            unsettled = settlement
        } else {
            try await settle(settlement)
        }
        noteEnds(batch.nextOffsets)
        metrics.published.increment(by: Double(published.count))
        let acknowledged = Date()
        let publishedPositions = Set(published)
        for event in events where publishedPositions.contains(event.position) {
            metrics.publishAge.observe(acknowledged.timeIntervalSince(event.envelope.occurredAt))
        }
        if let lost {
            // These records reached the new log ahead of the republish; it sends them again
            // after their streams' earlier events, and consumers skip the early copies.
            try await startRepublish(.logLost, replacingLostLog: true, detail: lost)
            return published.count
        }
        if !batch.retry.isEmpty {
            metrics.failures.increment(by: Double(batch.retry.count))
            throw RelayIncomplete(failed: batch.retry.count)
        }
        return published.count
    }

    func currentProducer() throws -> KafkaProducer {
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
