import EventLog
import Foundation
import Kafka
import Postgres

/// The relay's side of lost logs: noticing them, and republishing the whole store.
///
/// Only the lease holder does any of this, inside its rounds, so a republish never
/// interleaves with outbox batches: while one runs the outbox waits (new writes are stored
/// and acknowledged, and reach the log right after it), and each client's events reach the
/// log in version order. Events stored after the republish started go through the outbox.
extension OutboxRelay {
    var isLogCheckDue: Bool {
        checkLogSoon || lastLogCheck.map { ContinuousClock.now - $0 >= logCheckInterval } ?? true
    }

    /// Checks the broker still holds the log and starts a republish if it does not (or if
    /// this topic never received the store's events). Returns true when it started one.
    ///
    /// A check that cannot reach the broker is logged and tried again at the next interval;
    /// the round goes on (its sends fail the same way, and are retried).
    func guardLog(_ check: EventsLogCheck, latest: LogRepublish?) async throws -> Bool {
        lastLogCheck = .now
        checkLogSoon = false
        let recorded = recordedEnds ?? [:]
        let verdict: EventsLogCheck.Verdict
        do {
            verdict = try await check.check(recordedEnds: recorded)
        } catch {
            logger.warning("could not check the events log", ["error": String(describing: error)])
            return false
        }
        switch verdict {
        case .intact, .inconclusive:
            return try await republishIntoNewTopic(recorded: recorded, latest: latest)
        case .wrongPartitionCount(let count):
            logger.error("the events topic has another partition count than configured: nothing is published until an operator deletes it (the relay then creates it again)",
                         ["topic": topic, "partitions": String(count), "expected": String(check.partitions)])
            throw EventsTopicMisfit(topic: topic, partitions: count, expected: check.partitions)
        case .topicMissing:
            try await check.createTopic()
            logger.warning("the events topic was missing; created it again", ["topic": topic])
            guard !recorded.isEmpty else { return try await republishIntoNewTopic(recorded: recorded, latest: latest) }
            try await startRepublish(.topicMissing, replacingLostLog: true, detail: ["topic": topic])
            return true
        case .lost(let partition, let recordedEnd, let end):
            try await startRepublish(.logLost, replacingLostLog: true,
                                     detail: ["partition": String(partition), "recorded_end": String(recordedEnd),
                                              "log_end": end.map(String.init) ?? "unknown"])
            return true
        }
    }

    /// Once per process: starts a republish if nothing was ever published to this topic but
    /// the store holds events published elsewhere.
    private func republishIntoNewTopic(recorded: [Int32: Int64], latest: LogRepublish?) async throws -> Bool {
        guard recorded.isEmpty, latest?.state != .running, !checkedFirstPublish else { return false }
        checkedFirstPublish = true
        let topic = self.topic
        guard try await pool.withConnection({ try LogRepublishes.topicNeverPublished(topic, on: $0) }) else { return false }
        try await startRepublish(.newTopic, replacingLostLog: false, detail: ["topic": topic])
        return true
    }

    /// Starts a republish (a new log epoch); for a lost log, also forgets the recorded ends
    /// and builds a new producer (one from before a broker restart can stall).
    func startRepublish(_ reason: LogRepublish.Reason, replacingLostLog: Bool, detail: [String: String]) async throws {
        let topic = self.topic
        let (republish, started) = try await pool.withTransaction { connection in
            try LogRepublishes.start(reason: reason, topic: topic, replacingLostLog: replacingLostLog, on: connection)
        }
        recordedEnds = nil
        if replacingLostLog {
            metrics.logLosses.increment(by: 1, reason.rawValue)
            if let producer {
                await producer.close(timeout: .seconds(1))
                self.producer = nil
            }
        }
        guard started else { return }
        logger.warning("republishing the event store into the events topic",
                       detail.merging(["reason": reason.rawValue, "epoch": String(republish.epoch),
                                       "events": String(republish.totalEvents)]) { $1 })
    }

    /// Sends the republish's next batch (or marks it done); returns the events it sent.
    func republishOnce(_ republish: LogRepublish) async throws -> Int {
        let topic = self.topic
        if takenUpEpoch != republish.epoch {
            try await logCheck?.createTopic()
            try await pool.withTransaction { try LogRepublishes.resume(epoch: republish.epoch, on: $0) }
            takenUpEpoch = republish.epoch
            logger.info("republish running", ["epoch": String(republish.epoch), "reason": republish.reason,
                                              "after_position": String(republish.nextPosition),
                                              "through_position": String(republish.throughPosition)])
        }
        let events = try await PostgresEventStore(pool: pool).events(after: republish.nextPosition, limit: republishBatchSize)
            .filter { $0.position <= republish.throughPosition }
        guard !events.isEmpty else {
            try await pool.withTransaction { try LogRepublishes.finish(epoch: republish.epoch, on: $0) }
            takenUpEpoch = nil
            logger.info("republish done", ["epoch": String(republish.epoch), "events": String(republish.eventsPublished)])
            return 0
        }
        let producer = try currentProducer()
        let results = try await producer.sendBatch(events.map {
            CloudEventsKafkaBinding.message(for: $0, topic: topic, logEpoch: republish.epoch)
        })
        let lost = lostPartition(results)
        // The cursor only passes events Kafka acknowledged with nothing failed before them;
        // the rest are sent again next round (Kafka may then hold some twice).
        let delivered = events.prefix(results.prefix { (try? $0.get()) != nil }.count)
        let ends = OutboxBatch.settle(events, results: results).nextOffsets
        try await pool.withTransaction { connection in
            if let last = delivered.last {
                try LogRepublishes.recordProgress(epoch: republish.epoch, through: last.position, published: delivered.count,
                                                  on: connection)
                try connection.execute("DELETE FROM outbox WHERE position = ANY($1::bigint[])",
                                       [Self.arrayLiteral(delivered.map(\.position))])
            }
            try Self.record(ends, on: connection)
        }
        noteEnds(ends)
        metrics.republished.increment(by: Double(delivered.count))
        if let lost {
            try await startRepublish(.logLost, replacingLostLog: true, detail: lost)
            return delivered.count
        }
        if delivered.count < events.count {
            metrics.failures.increment(by: Double(events.count - delivered.count))
            throw RelayIncomplete(failed: events.count - delivered.count)
        }
        return delivered.count
    }

    /// A delivery that landed below the recorded end of its partition: the broker no longer
    /// has what the relay published there (acknowledged records never go away otherwise).
    func lostPartition(_ results: [Result<KafkaDeliveryReport, KafkaError>]) -> [String: String]? {
        guard let recorded = recordedEnds else { return nil }
        for case .success(let report) in results {
            if let end = recorded[report.partition], report.offset < end {
                return ["partition": String(report.partition), "recorded_end": String(end), "delivered_at": String(report.offset)]
            }
        }
        return nil
    }

    /// Moves the in-memory record of the log end on after deliveries.
    func noteEnds(_ ends: [KafkaTopicPartition: Int64]) {
        guard var recorded = recordedEnds else { return }
        for (partition, next) in ends { recorded[partition.partition] = max(recorded[partition.partition] ?? 0, next) }
        recordedEnds = recorded
    }

    /// Records the next offset per partition in `published_offsets` (never moving one back):
    /// one statement per topic (in partition order), however many partitions a batch touched.
    static func record(_ ends: [KafkaTopicPartition: Int64], on connection: PostgresConnection) throws {
        for statement in recordStatements(ends) { try connection.execute(statement.sql, statement.parameters) }
    }

    /// The statements of `record(_:on:)`, for a pipeline.
    static func recordStatements(_ ends: [KafkaTopicPartition: Int64]) -> [PostgresStatement] {
        Dictionary(grouping: ends, by: \.key.topic).sorted(by: { $0.key < $1.key }).map { topic, entries in
            let sorted = entries.sorted(by: { $0.key.partition < $1.key.partition })
            return PostgresStatement("""
                INSERT INTO published_offsets (topic, partition, next_offset)
                SELECT $1, partition, next_offset FROM unnest($2::int[], $3::bigint[]) AS given(partition, next_offset)
                ON CONFLICT (topic, partition) DO UPDATE SET next_offset = GREATEST(published_offsets.next_offset, EXCLUDED.next_offset)
                """, [topic, arrayLiteral(sorted.map { Int64($0.key.partition) }), arrayLiteral(sorted.map(\.value))])
        }
    }
}

/// The events topic exists with another partition count than configured.
struct EventsTopicMisfit: Error, CustomStringConvertible {
    var topic: String
    var partitions: Int32
    var expected: Int32
    var description: String { "topic \(topic) has \(partitions) partitions, not \(expected): delete it so that it is created again" }
}
