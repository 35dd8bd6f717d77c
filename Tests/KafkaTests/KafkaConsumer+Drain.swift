import Kafka
import XCTest

extension KafkaConsumer {
    /// Polls until every partition in `partitions` has reported EOF, returning the records in
    /// the order received and each partition's EOF offset (the last one seen); fails the test
    /// after `timeout`.
    func drain(_ partitions: Set<KafkaTopicPartition>, timeout: Duration = .seconds(20),
               file: StaticString = #filePath, line: UInt = #line) async throws -> (records: [KafkaRecord], ends: [KafkaTopicPartition: Int64]) {
        var records: [KafkaRecord] = []
        var ends: [KafkaTopicPartition: Int64] = [:]
        let deadline = ContinuousClock.now + timeout
        while Set(ends.keys) != partitions {
            guard ContinuousClock.now < deadline else {
                XCTFail("no EOF for \(partitions.subtracting(ends.keys)) within \(timeout); \(records.count) records read", file: file, line: line)
                break
            }
            for event in try await poll(maxEvents: 1000, timeout: .milliseconds(500)) {
                switch event {
                case .record(let record):
                    records.append(record)
                    ends[record.topicPartition] = nil
                case .partitionEOF(let partition, let nextOffset):
                    ends[partition] = nextOffset
                }
            }
        }
        return (records, ends)
    }
}
