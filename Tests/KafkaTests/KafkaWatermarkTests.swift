import Kafka
import TestSupport
import XCTest

/// The consumer's cached watermarks: the log's end as fetches report it, which is right on
/// Tansu even where its ListOffsets answer is not (batches of several records).
final class KafkaWatermarkTests: XCTestCase {
    func testCachedHighWatermarkIsTheLogEndBeforeTheConsumerReachesIt() async throws {
        let broker = try KafkaBroker.shared()
        let topic = KafkaBroker.uniqueTopic("watermarks")
        try await broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: broker.configuration())
        let messages = (0..<50).map { KafkaOutgoingMessage(topic: topic, partition: 0, value: Array("m\($0)".utf8)) }
        for result in try await producer.sendBatch(messages) { _ = try result.get() }
        await producer.close(timeout: .seconds(5))

        let consumer = try KafkaConsumer(configuration: broker.configuration())
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        XCTAssertNil(consumer.cachedWatermarks(partition), "nothing fetched yet")
        try consumer.assign([(partition, offset: 0)])
        var received = 0
        try await eventually("a first fetch", timeout: .seconds(20), pausing: false) {
            received += try await consumer.poll(maxEvents: 5, timeout: .milliseconds(500)).count
            return received > 0
        }
        XCTAssertGreaterThan(received, 0)
        XCTAssertLessThan(received, 50, "the consumer is still behind the end")
        let watermarks = try XCTUnwrap(consumer.cachedWatermarks(partition))
        XCTAssertEqual(watermarks.high, 50)
        XCTAssertEqual(watermarks.low, 0)
        await consumer.close()
        XCTAssertNil(consumer.cachedWatermarks(partition), "a closed consumer has no cache")
    }
}
