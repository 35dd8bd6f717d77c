import Coordination
import Errors
import EventLog
import Foundation
import Kafka
import Postgres
import ServiceRuntime
import Synchronization

/// Keeps a read model from the events topic, exactly once across crashes and redelivery.
///
/// It assigns every partition of the topic itself (no consumer group, no rebalance wait),
/// starting at the offsets stored in `projection_offsets` under its projection name. Each
/// poll's records are applied to the read model in one transaction that also stores the
/// offsets after them: a crash before the commit loses both, and the records come again.
/// Redelivered or early events are skipped by the read model's stream-version rule.
///
/// After a commit, `committed` gets the stream versions applied (read-your-writes waiters
/// listen there). The end of each partition comes from the fetches' high watermark (the
/// consumer's cached watermarks after each poll, and its partition-EOF events), never from
/// ListOffsets, which Tansu answers wrongly. On a failure the consumer is closed and rebuilt
/// from the stored offsets after a backoff.
///
/// A poison event parks its stream, never the log (`ProjectionQuarantine`): when a batch
/// fails because of some event's data (`ProjectionFailure.event`, at once; `.unknown`, after
/// `maxBatchAttempts`), the batch is applied again stream by stream, each under a savepoint,
/// and the streams that fail are parked: their events of the batch, and every later one the
/// log brings, wait in `projection_parked_events`, in order, written in the transaction that
/// moves the offsets past them. Every other stream goes on. An event the read model rejects
/// (`ProjectionApplyOutcome.rejected`) parks its stream the same way. A failure that is not
/// any event's (the database is unreachable, or the read model itself is broken) is retried
/// with backoff for as long as it lasts. An operator releases a parked stream with
/// `retryParked` or `skipParked` (`clientctl quarantine`).
///
/// With debug logging on, each event handled gets a line (`projection handled event`) carrying
/// the event's correlation id and trace id, so one user action can be followed into every
/// projection.
///
/// A replaced log (the broker lost it and the command service republished the store): when
/// a poll finds a stored offset out of range (past the new log's end), or a record of a newer
/// log epoch than the one stored (`ProjectionLogEpoch`), the stored offsets point into the
/// old log. The runner then moves them back to 0 (storing the new epoch) and reads the new
/// log from the start; the stream-version rule skips what was applied already, so nothing
/// is applied twice and nothing is missed.
public final class ProjectionRunner: Service, Sendable {
    public struct Configuration: Sendable {
        /// The name its offsets are stored under, and its metrics label.
        public var projection: String
        public var target: ProjectionTarget
        public var topic: String
        public var partitionCount: Int32
        /// The most records applied in one transaction.
        public var batchSize = 1000
        /// How long a poll waits for the first record.
        public var pollTimeout: Duration = .milliseconds(250)
        /// Whether to export position and lag gauges (one runner per projection name should).
        public var exportsPosition = true
        /// The consumer's `fetch.wait.max.ms` unless the Kafka configuration sets one: how long
        /// the broker may hold a fetch that finds nothing new. See `consumerConfiguration`.
        public var fetchWait: Duration = .milliseconds(10)
        /// How many times a batch that failed for an unknown reason (`ProjectionFailure.unknown`)
        /// is tried whole before its streams are tried one by one and the failing ones parked.
        public var maxBatchAttempts = 5

        public init(projection: String, target: ProjectionTarget, topic: String, partitionCount: Int32) {
            self.projection = projection
            self.target = target
            self.topic = topic
            self.partitionCount = partitionCount
        }
    }

    public var name: String { "projection-\(configuration.projection)" }
    public let configuration: Configuration
    let pool: PostgresPool
    private let kafka: KafkaConfiguration
    let model: any ProjectionReadModel
    /// Where the data keys of the streams come from (`EventSealing`); nil: no event with a
    /// sealed part can be opened (each parks its stream).
    public let keys: (any ClientKeySource)?
    let logger: Logger
    let committed: @Sendable (ProjectionApplyOutcome) -> Void
    let inTransaction: (@Sendable (PostgresConnection, ProjectionApplyOutcome) throws -> Void)?
    private let applied: Counter
    private let skipped: Counter
    private let rewinds: Counter
    /// Time to apply a batch and store its offsets (the transaction).
    private let batchDuration: Histogram
    /// Time from each applied event's occurrence to the commit that applied it.
    private let eventAge: Histogram
    let parkedEvents: Counter
    /// Events not applied because their stream's data key was erased.
    private let erasedEvents: Counter
    /// Held by each `step`, so one runs at a time (and uses `consumer`), as do the quarantine's
    /// retry and skip.
    let stepLock = AsyncLock()

    struct State {
        var consumer: KafkaConsumer?
        /// The position as of the last commit or EOF.
        var checkpoint: ProjectionCheckpoint
        var needsReload = true
        var lastStep: ContinuousClock.Instant?
        var logEpoch: Int64 = 0
        /// The highest parked version of each parked stream, as stored (loaded with the offsets).
        var parked: [UUID: Int64] = [:]
        /// Where the batch that last failed for an unknown reason started, and how many times it failed.
        var failedBatch: (start: [Int32: Int64], attempts: Int)?
        /// The next offsets this runner stored (loaded with the consumer, moved on by its commits).
        var stored: [Int32: Int64] = [:]
        /// The connections (`PostgresConnection.serial`) a batch found `stored` still held on.
        var checkedConnections: Set<UInt64> = []
    }

    let state: Mutex<State>

    /// - Parameters:
    ///   - committed: called after each commit, outside the transaction.
    ///   - keys: the streams' data keys, asked once per batch for all its streams; a batch
    ///     whose keys cannot be had is not applied (retried, like an unreachable database).
    ///   - inTransaction: runs in each batch's transaction after the read model applied it
    ///     (a rebuild counts its progress there).
    public init(configuration: Configuration, pool: PostgresPool, kafka: KafkaConfiguration, model: any ProjectionReadModel,
                keys: (any ClientKeySource)? = nil, logger: Logger, metrics: MetricsRegistry,
                inTransaction: (@Sendable (PostgresConnection, ProjectionApplyOutcome) throws -> Void)? = nil,
                committed: @escaping @Sendable (ProjectionApplyOutcome) -> Void = { _ in }) {
        self.configuration = configuration
        self.pool = pool
        self.kafka = kafka
        self.model = model
        self.keys = keys
        self.logger = logger
        self.inTransaction = inTransaction
        self.committed = committed
        self.state = Mutex(State(checkpoint: ProjectionCheckpoint(partitionCount: configuration.partitionCount)))
        self.applied = metrics.counter("clientele_projection_events_applied_total", help: "Events applied to a read model.",
                                       labels: ["projection"])
        self.skipped = metrics.counter("clientele_projection_events_skipped_total",
                                       help: "Events skipped: duplicate (already applied), early (a version is missing), invalid.",
                                       labels: ["projection", "reason"])
        self.parkedEvents = metrics.counter("clientele_projection_events_parked_total",
                                            help: "Events parked: their stream's first that could not be applied, and every later one of a parked stream.",
                                            labels: ["projection"])
        self.erasedEvents = metrics.counter("clientele_projection_erased_events_total",
                                            help: "Events not applied because their client's data key was erased (crypto-shredded).",
                                            labels: ["projection"])
        self.rewinds = metrics.counter("clientele_projection_log_rewinds_total",
                                       help: "Times the projection found the log replaced and read it again from the start.",
                                       labels: ["projection", "reason"])
        self.batchDuration = metrics.histogram("clientele_projection_batch_seconds",
                                               help: "Time to apply one batch to the read model and store its offsets (one transaction).",
                                               labels: ["projection", "target"])
        self.eventAge = metrics.histogram("clientele_projection_event_age_seconds",
                                          help: "Time from an event's occurrence to the commit that applied it (a replay shows the log's age).",
                                          labels: ["projection", "target"], buckets: Histogram.pipelineDelayBuckets)
        if configuration.exportsPosition {
            let projection = configuration.projection
            metrics.collector("clientele_projection_consumer_lag", help: "Records in the log not yet applied, per partition (from the fetch's high watermark).") { [weak self] in
                guard let self else { return [] }
                return self.checkpoint.partitions.compactMap { partition, state in
                    state.lag.map { (["projection": projection, "partition": String(partition)], Double($0)) }
                }
            }
            metrics.collector("clientele_projection_position", help: "The next offset to apply, per partition.") { [weak self] in
                guard let self else { return [] }
                return self.checkpoint.partitions.map { partition, state in
                    (["projection": projection, "partition": String(partition)], Double(state.next))
                }
            }
            metrics.collector("clientele_projection_log_end", help: "The log's end (high watermark) as last fetched, per partition.") { [weak self] in
                guard let self else { return [] }
                return self.checkpoint.partitions.compactMap { partition, state in
                    state.end.map { (["projection": projection, "partition": String(partition)], Double($0)) }
                }
            }
            metrics.collector("clientele_projection_parked_streams", help: "Streams parked, waiting for an operator (clientctl quarantine).") { [weak self] in
                guard let self else { return [] }
                return [(["projection": projection], Double(self.state.withLock { $0.parked.count }))]
            }
            metrics.collector("clientele_projection_caught_up", help: "1 when every partition is applied up to its end.") { [weak self] in
                guard let self else { return [] }
                return [(["projection": projection], self.checkpoint.isCaughtUp ? 1 : 0)]
            }
        }
    }

    /// The position as of the last commit or EOF.
    public var checkpoint: ProjectionCheckpoint { state.withLock { $0.checkpoint } }

    /// Whether a poll succeeded within `window` (for readiness).
    public func isRunning(within window: Duration = .seconds(30)) -> Bool {
        state.withLock { state in state.lastStep.map { ContinuousClock.now - $0 < window } ?? false }
    }

    public func run() async throws {
        var backoff = Backoff(initial: .milliseconds(200))
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            do {
                _ = try await step()
                backoff.reset()
            } catch {
                logger.warning("projection batch failed; retrying from the stored offsets",
                               ["projection": configuration.projection, "error": String(describing: error)])
                await backoff.pause()
            }
        }
        await close()
    }

    /// Polls once and applies what came, in one transaction; returns the records handled.
    ///
    /// On a failure the next step starts again from the stored offsets.
    @discardableResult
    public func step() async throws -> Int {
        try await stepLock.withLock {
            do {
                return try await stepHoldingLock()
            } catch {
                state.withLock { $0.needsReload = true }
                throw error
            }
        }
    }

    /// Runs `body` while no batch is being applied and none starts: the stored offsets and
    /// the read model stay as they are until it returns.
    public func whilePaused<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await stepLock.withLock(body)
    }

    /// Makes the next step re-read the stored offsets and re-assign (after a swap moved them).
    public func reloadPosition() {
        state.withLock { $0.needsReload = true }
    }

    /// Closes the consumer; a later step opens a new one.
    public func close() async {
        let consumer: KafkaConsumer? = state.withLock { state in
            defer { state.consumer = nil; state.needsReload = true }
            return state.consumer
        }
        await consumer?.close()
    }

    private func stepHoldingLock() async throws -> Int {
        let consumer = try await currentConsumer()
        let events: [KafkaConsumerEvent]
        do {
            events = try await consumer.poll(maxEvents: configuration.batchSize, timeout: configuration.pollTimeout)
        } catch let error as KafkaError where error.code.kind == .offsetOutOfRange {
            // Already at the start: not a replaced log; fail and retry after a backoff.
            guard checkpoint.nextOffsets.values.contains(where: { $0 > 0 }) else { throw error }
            try await readAgainFromStart(newEpoch: nil, reason: "offset_out_of_range", detail: ["error": error.description])
            return 0
        }
        var records: [KafkaRecord] = []
        var ends: [(Int32, Int64)] = []
        for event in events {
            switch event {
            case .record(let record): records.append(record)
            case .partitionEOF(let partition, let next): ends.append((partition.partition, next))
            }
        }
        for partition in 0..<configuration.partitionCount {
            if let high = consumer.cachedWatermarks(KafkaTopicPartition(topic: configuration.topic, partition: partition))?.high {
                ends.append((partition, high))
            }
        }
        guard !records.isEmpty else {
            state.withLock { state in
                for (partition, next) in ends { state.checkpoint.reachedEnd(partition: partition, nextOffset: next) }
                state.lastStep = .now
            }
            return 0
        }
        let known = state.withLock { $0.logEpoch }
        if let newest = records.lazy.compactMap(CloudEventsKafkaBinding.logEpoch(of:)).max(), newest > known {
            try await readAgainFromStart(newEpoch: newest, reason: "new_log_epoch",
                                         detail: ["stored_epoch": String(known), "epoch": String(newest)])
            return 0
        }
        var batch = ProjectionBatch()
        batch.events.reserveCapacity(records.count)
        var invalid = 0
        var nextOffsets: [Int32: Int64] = [:]
        var start: [Int32: Int64] = [:]
        let parkedStreams = state.withLock { $0.parked }
        for record in records {
            nextOffsets[record.partition] = max(nextOffsets[record.partition] ?? 0, record.offset + 1)
            start[record.partition] = min(start[record.partition] ?? record.offset, record.offset)
            do {
                let event = try CloudEventsKafkaBinding.event(from: record)
                let location = ProjectionBatch.Location(partition: record.partition, offset: record.offset)
                if parkedStreams[event.envelope.streamId] != nil {
                    batch.behindParked.append(ProjectionQuarantine.Entry(event: event, partition: location.partition,
                                                                         offset: location.offset, reason: RejectedEvent.behindRejected))
                } else {
                    batch.events.append(event)
                    batch.locations.append(location)
                }
            } catch {
                invalid += 1
                var metadata = ["partition": String(record.partition), "offset": String(record.offset),
                                "error": String(describing: error)]
                if let correlation = record.headers.first(where: { $0.name == "ce_correlationid" })?.value {
                    metadata["correlation_id"] = String(decoding: correlation.prefix(128), as: UTF8.self)
                }
                logger.warning("skipping a record that is not a client event", metadata)
            }
        }
        let projection = configuration.projection
        let target = configuration.target
        let started = ContinuousClock.now
        do {
            batch.opened = try await EventSealing.open(batch.events, keys: keys)
        } catch {
            // No key is missing: the source cannot answer. Nothing is applied or parked; the
            // batch comes again from the stored offsets.
            throw ClienteleError(.unavailable, "The data keys of the batch's clients cannot be had",
                                 internalDetail: "key source: \(error)")
        }
        let result: (outcome: ProjectionApplyOutcome, parked: [ProjectionQuarantine.Entry])
        do {
            result = try await applyWhole(batch, invalid: invalid, nextOffsets: nextOffsets)
            state.withLock { $0.failedBatch = nil }
        } catch {
            let failure = ProjectionFailure(classifying: error)
            // Only failures of unknown cause count towards the batch's tries.
            let attempts: Int = state.withLock { state in
                guard failure == .unknown else { return 0 }
                let attempts = state.failedBatch.map { $0.start == start ? $0.attempts + 1 : 1 } ?? 1
                state.failedBatch = (start, attempts)
                return attempts
            }
            switch failure {
            case .unavailable, .systemic:
                throw error
            case .unknown where attempts < configuration.maxBatchAttempts:
                throw error
            case .event, .unknown:
                logger.warning("projection batch failed on its data; applying it stream by stream to park the failing streams",
                               ["projection": projection, "reason": ProjectionFailure.reason(for: error), "attempts": String(attempts)])
                result = try await applyByStream(batch, invalid: invalid, nextOffsets: nextOffsets, failure: failure, error: error)
                state.withLock { $0.failedBatch = nil }
            }
        }
        let outcome = result.outcome
        noteParked(result.parked)
        state.withLock { state in
            for record in records { state.checkpoint.applied(partition: record.partition, offset: record.offset) }
            for (partition, next) in ends { state.checkpoint.reachedEnd(partition: partition, nextOffset: next) }
            state.lastStep = .now
        }
        let targetLabel = target.rawValue
        batchDuration.observe((ContinuousClock.now - started).inSeconds, projection, targetLabel)
        let committedAt = Date()
        for event in batch.events { eventAge.observe(committedAt.timeIntervalSince(event.envelope.occurredAt), projection, targetLabel) }
        applied.increment(by: Double(outcome.appliedCount), projection)
        if outcome.duplicates > 0 { skipped.increment(by: Double(outcome.duplicates), projection, "duplicate") }
        if outcome.early > 0 { skipped.increment(by: Double(outcome.early), projection, "early") }
        if outcome.invalid > 0 { skipped.increment(by: Double(outcome.invalid), projection, "invalid") }
        if outcome.erased > 0 { erasedEvents.increment(by: Double(outcome.erased), projection) }
        committed(outcome)
        if logger.isEnabled(.debug) { logHandled(batch.events) }
        return records.count
    }

    /// One debug line per event of a committed batch, each with the event's correlation id
    /// and trace id as the line's own (`LogContext`).
    private func logHandled(_ events: [StoredEvent]) {
        for event in events {
            let envelope = event.envelope
            LogContext.$correlationId.withValue(envelope.correlationId) {
                LogContext.$trace.withValue(TraceContext.parse(envelope.traceparent)) {
                    logger.debug("projection handled event", [
                        "projection": configuration.projection, "type": envelope.type,
                        "client_id": envelope.streamId.lowercasedString, "version": String(envelope.streamVersion),
                        "position": String(event.position), "event_id": envelope.eventId.lowercasedString,
                    ])
                }
            }
        }
    }

    /// Moves the stored offsets back to 0 (and stores `newEpoch`, if any) in one transaction,
    /// and makes the next step read the log from the start.
    private func readAgainFromStart(newEpoch: Int64?, reason: String, detail: [String: String]) async throws {
        let projection = configuration.projection
        try await pool.withTransaction { connection in
            try ProjectionOffsets.rewind(projection, on: connection)
            if let newEpoch { try ProjectionLogEpoch.store(projection, newEpoch, on: connection) }
        }
        let partitionCount = configuration.partitionCount
        state.withLock { state in
            // The old log's ends mean nothing for the new one.
            state.checkpoint = ProjectionCheckpoint(partitionCount: partitionCount)
            if let newEpoch { state.logEpoch = newEpoch }
            state.needsReload = true
            state.lastStep = .now
        }
        rewinds.increment(by: 1, projection, reason)
        logger.warning("the events log was replaced: reading it again from the start",
                       detail.merging(["projection": projection, "reason": reason]) { $1 })
    }

    /// The consumer's settings: `kafka` with `fetch.wait.max.ms` set to `fetchWait` unless it
    /// sets one.
    ///
    /// A projection that serves read-your-writes needs a fetch to come back as soon as records
    /// arrive. librdkafka's default lets the broker hold a fetch up to 500 ms waiting for more
    /// data, and Tansu holds every fetch that long, records or not, answering with what it
    /// found when the fetch began: writes then waited half of that on average to become
    /// visible, and creates with read-your-writes slowed with them (measured:
    /// docs/performance.md, design measurements).
    /// A projection nobody waits on (stats) takes a longer wait: fewer, larger batches, and
    /// fewer fetches for the in-memory broker, whose fetch cost grows with the log.
    /// `KAFKA_FETCH_WAIT_MAX_MS` still overrides it.
    static func consumerConfiguration(_ kafka: KafkaConfiguration, fetchWait: Duration) -> KafkaConfiguration {
        var configuration = kafka
        if configuration.properties["fetch.wait.max.ms"] == nil {
            configuration.properties["fetch.wait.max.ms"] = String(max(1, fetchWait.inMilliseconds))
        }
        return configuration
    }

    /// The consumer, opened and assigned at the stored offsets if there is none or a reload
    /// was asked for.
    private func currentConsumer() async throws -> KafkaConsumer {
        let (existing, reload) = state.withLock { ($0.consumer, $0.needsReload) }
        if let existing, !reload { return existing }
        if let existing { await existing.close() }
        state.withLock { $0.consumer = nil }
        let projection = configuration.projection
        let (stored, epoch, parkedStreams) = try await pool.withConnection {
            (try ProjectionOffsets.load(projection, on: $0), try ProjectionLogEpoch.load(projection, on: $0),
             try ProjectionQuarantine.parkedVersions(projection, on: $0))
        }
        let fresh = try KafkaConsumer(configuration: Self.consumerConfiguration(kafka, fetchWait: configuration.fetchWait))
        var checkpoint = ProjectionCheckpoint(partitionCount: configuration.partitionCount, stored: stored)
        let known = state.withLock { $0.checkpoint }
        for (partition, state) in known.partitions {
            if let end = state.end { checkpoint.reachedEnd(partition: partition, nextOffset: end) }
        }
        try fresh.assign(checkpoint.nextOffsets.sorted { $0.key < $1.key }.map {
            (KafkaTopicPartition(topic: configuration.topic, partition: $0.key), offset: $0.value)
        })
        state.withLock { state in
            state.consumer = fresh
            state.checkpoint = checkpoint
            state.logEpoch = epoch
            state.parked = parkedStreams
            state.needsReload = false
            state.stored = stored
            state.checkedConnections = []
        }
        logger.info("projection consuming", ["projection": projection,
                                             "offsets": checkpoint.nextOffsets.sorted { $0.key < $1.key }
                                                .map { "\($0.key):\($0.value)" }.joined(separator: ",")])
        return fresh
    }
}
