import Kafka

extension KafkaConsumer {
    /// Reads `topic`'s partitions `0..<partitions` from the beginning until each reports its
    /// end, and returns the records in the order received; throws after `timeout`.
    public static func readToEnd(topic: String, partitions: Int32, broker: KafkaBroker,
                                 timeout: Duration = .seconds(30)) async throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(configuration: broker.configuration())
        let all = Set((0..<partitions).map { KafkaTopicPartition(topic: topic, partition: $0) })
        try consumer.assign(all.map { ($0, offset: -2) })
        var records: [KafkaRecord] = []
        var ended: Set<KafkaTopicPartition> = []
        do {
            // Each poll waits on the broker itself: no pause between them.
            try await eventually("the end of \(all.subtracting(ended)) (\(records.count) records read)", timeout: timeout,
                                 pausing: false) {
                if ended == all { return true }
                for event in try await consumer.poll(maxEvents: 1000, timeout: .milliseconds(500)) {
                    switch event {
                    case .record(let record):
                        records.append(record)
                        ended.remove(record.topicPartition)
                    case .partitionEOF(let partition, _):
                        ended.insert(partition)
                    }
                }
                return false
            }
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        return records
    }
}
