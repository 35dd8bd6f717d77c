import Foundation
import Kafka

/// Checks that the broker still holds what the outbox relay published to the events topic,
/// and creates the topic again when it is gone.
///
/// The relay records, per partition, the offset after the last record Kafka acknowledged
/// (`published_offsets`). The log is intact when the topic exists with its partition count
/// and every partition still has a record at that offset minus one. The check reads it with
/// a short-lived consumer assigned there, so it learns the partition's end from a fetch (an
/// in-memory broker that restarted answers with an empty partition or an offset out of range)
/// and never from ListOffsets, which Tansu answers wrongly.
public struct EventsLogCheck: Sendable {
    /// What the check found.
    public enum Verdict: Sendable, Equatable {
        /// Every published record is still there (as far as the recorded ends go).
        case intact
        /// The topic does not exist.
        case topicMissing
        /// The topic exists with another partition count (someone else created it): keys
        /// would land on other partitions. Needs an operator.
        case wrongPartitionCount(Int32)
        /// A partition ends before the relay's record of its end: the log was lost.
        case lost(partition: Int32, recordedEnd: Int64, end: Int64?)
        /// No answer in time for some partitions; check again later.
        case inconclusive(partitions: [Int32])
    }

    public let topic: String
    public let partitions: Int32
    private let kafka: KafkaConfiguration
    private let admin: KafkaAdmin
    /// How long to wait for every partition to answer. The consumer takes an offset past
    /// the end of the log as out of range only some seconds after assigning it (see
    /// `KafkaConsumer`), so this must be longer than that.
    public var timeout: Duration = .seconds(8)

    public init(kafka: KafkaConfiguration, admin: KafkaAdmin, topic: String, partitions: Int32) {
        self.kafka = kafka
        self.admin = admin
        self.topic = topic
        self.partitions = partitions
    }

    /// Compares the log with `recordedEnds` (next offset per partition; partitions without
    /// one, or at 0, are not read). Throws when the broker cannot be asked.
    public func check(recordedEnds: [Int32: Int64]) async throws -> Verdict {
        guard let count = try await admin.partitionCount(of: topic, timeout: .seconds(5)) else { return .topicMissing }
        guard count == partitions else { return .wrongPartitionCount(count) }
        let expected = recordedEnds.filter { $0.value > 0 && $0.key >= 0 && $0.key < partitions }
        guard !expected.isEmpty else { return .intact }
        var configuration = kafka
        configuration.properties["fetch.wait.max.ms"] = "10"
        let consumer = try KafkaConsumer(configuration: configuration)
        do {
            let verdict = try await read(expected, with: consumer)
            await consumer.close()
            return verdict
        } catch {
            await consumer.close()
            throw error
        }
    }

    /// Reads each partition of `expected` from its recorded end minus one until it shows a
    /// record there or its end.
    private func read(_ expected: [Int32: Int64], with consumer: KafkaConsumer) async throws -> Verdict {
        try consumer.assign(expected.sorted { $0.key < $1.key }.map {
            (KafkaTopicPartition(topic: topic, partition: $0.key), offset: $0.value - 1)
        })
        var pending = Set(expected.keys)
        let deadline = ContinuousClock.now + timeout
        while !pending.isEmpty && ContinuousClock.now < deadline {
            let events: [KafkaConsumerEvent]
            do {
                events = try await consumer.poll(maxEvents: 100, timeout: .milliseconds(200))
            } catch let error as KafkaError where error.code.kind == .offsetOutOfRange {
                let partition = error.context["partition"].flatMap { Int32($0) } ?? pending.min() ?? 0
                return .lost(partition: partition, recordedEnd: expected[partition] ?? 0,
                             end: error.context["endOffset"].flatMap { Int64($0) })
            } catch let error as KafkaError where error.code.kind == .unknownTopicOrPartition {
                return .topicMissing
            }
            for event in events {
                switch event {
                case .record(let record):
                    if let end = expected[record.partition], record.offset >= end - 1 { pending.remove(record.partition) }
                case .partitionEOF(let partition, let next):
                    guard let end = expected[partition.partition] else { continue }
                    if next >= end {
                        pending.remove(partition.partition)
                    } else {
                        return .lost(partition: partition.partition, recordedEnd: end, end: next)
                    }
                }
            }
        }
        return pending.isEmpty ? .intact : .inconclusive(partitions: pending.sorted())
    }

    /// Creates the topic with its partition count and unlimited retention (nothing if it
    /// exists with that count; throws a `.conflict` KafkaError if it exists with another).
    public func createTopic() async throws {
        try await admin.createTopic(topic, partitions: partitions, config: ["retention.ms": "-1"], timeout: .seconds(10))
    }
}
