import EventLog
import Foundation
import Kafka

/// What to do with a batch of outbox entries after Kafka answered for each: the protocol
/// logic of the relay, free of sockets and SQL.
///
/// An entry counts as published only if it was delivered and no earlier entry of the same
/// stream in the batch failed. The others stay in the outbox and are sent again, in order,
/// so a consumer that sees a gap in a stream's versions can skip the early arrival: the
/// complete sequence follows it.
public struct OutboxBatch: Sendable, Equatable {
    /// Entries Kafka has, to delete from the outbox, with where they landed.
    public var published: [(position: Int64, report: KafkaDeliveryReport)]
    /// Positions to send again.
    public var retry: [Int64]
    /// The next offset per partition after this batch (the relay's record of the log end).
    public var nextOffsets: [KafkaTopicPartition: Int64]

    /// Settles `events` (in position order) against `results` (one per event, same order).
    public static func settle(_ events: [StoredEvent], results: [Result<KafkaDeliveryReport, KafkaError>]) -> OutboxBatch {
        precondition(events.count == results.count, "one result per event")
        var blockedStreams: Set<UUID> = []
        var batch = OutboxBatch(published: [], retry: [], nextOffsets: [:])
        for (event, result) in zip(events, results) {
            let stream = event.envelope.streamId
            switch result {
            case .success(let report):
                let partition = KafkaTopicPartition(topic: report.topic, partition: report.partition)
                batch.nextOffsets[partition] = max(batch.nextOffsets[partition] ?? 0, report.offset + 1)
                if blockedStreams.contains(stream) {
                    batch.retry.append(event.position)
                } else {
                    batch.published.append((event.position, report))
                }
            case .failure:
                blockedStreams.insert(stream)
                batch.retry.append(event.position)
            }
        }
        return batch
    }

    public static func == (lhs: OutboxBatch, rhs: OutboxBatch) -> Bool {
        lhs.retry == rhs.retry && lhs.nextOffsets == rhs.nextOffsets
            && lhs.published.map(\.position) == rhs.published.map(\.position)
            && lhs.published.map(\.report) == rhs.published.map(\.report)
    }
}
