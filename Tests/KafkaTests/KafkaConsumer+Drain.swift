import Kafka
import TestSupport
import XCTest

extension KafkaConsumer {
    /// Polls until every partition in `partitions` has reported EOF, returning the records in
    /// the order received and each partition's EOF offset (the last one seen); throws after
    /// `timeout`.
    func drain(_ partitions: Set<KafkaTopicPartition>,
               timeout: Duration = .seconds(20)) async throws -> (records: [KafkaRecord], ends: [KafkaTopicPartition: Int64]) {
        var records: [KafkaRecord] = []
        var ends: [KafkaTopicPartition: Int64] = [:]
        // Each poll waits on the broker itself: no pause between them.
        try await eventually("EOF for \(partitions.subtracting(ends.keys)) (\(records.count) records read)", timeout: timeout,
                             pausing: false) {
            if Set(ends.keys) == partitions { return true }
            for event in try await poll(maxEvents: 1000, timeout: .milliseconds(500)) {
                switch event {
                case .record(let record):
                    records.append(record)
                    ends[record.topicPartition] = nil
                case .partitionEOF(let partition, let nextOffset):
                    ends[partition] = nextOffset
                }
            }
            return false
        }
        return (records, ends)
    }
}
