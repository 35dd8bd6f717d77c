import ClientDomain
import EventLog
import EventStore
import Foundation
import Kafka
import XCTest

/// The relay's settle step, without sockets or SQL.
final class OutboxBatchTests: XCTestCase {
    func event(_ position: Int64, stream: UUID, version: Int64) -> StoredEvent {
        StoredEvent(position: position, envelope: EventEnvelope(type: "client.deleted", schemaVersion: 1, streamId: stream, streamVersion: version,
                                                                tenantId: UUID(), occurredAt: Date(), actor: .system, correlationId: "c",
                                                                causationId: nil, data: Data("{}".utf8)))
    }

    func report(_ partition: Int32, _ offset: Int64) -> Result<KafkaDeliveryReport, KafkaError> {
        .success(KafkaDeliveryReport(topic: "t", partition: partition, offset: offset))
    }

    let failure: Result<KafkaDeliveryReport, KafkaError> = .failure(KafkaError(.init(name: "_MSG_TIMED_OUT", number: -192, kind: .timedOut), "timed out"))

    func testAllDeliveredAreAllPublished() {
        let a = UUID(), b = UUID()
        let batch = OutboxBatch.settle([event(1, stream: a, version: 1), event(2, stream: b, version: 1), event(3, stream: a, version: 2)],
                                       results: [report(0, 10), report(1, 4), report(0, 11)])
        XCTAssertEqual(batch.published.map(\.position), [1, 2, 3])
        XCTAssertEqual(batch.retry, [])
        XCTAssertEqual(batch.nextOffsets, [KafkaTopicPartition(topic: "t", partition: 0): 12, KafkaTopicPartition(topic: "t", partition: 1): 5])
    }

    /// After a stream's event fails, its later events are sent again even if delivered, so
    /// the stream's complete sequence follows the gap on the topic.
    func testAFailureHoldsBackTheRestOfItsStreamOnly() {
        let a = UUID(), b = UUID()
        let batch = OutboxBatch.settle([event(1, stream: a, version: 1), event(2, stream: a, version: 2), event(3, stream: b, version: 1),
                                        event(4, stream: a, version: 3)],
                                       results: [failure, report(0, 7), report(1, 2), failure])
        XCTAssertEqual(batch.published.map(\.position), [3])
        XCTAssertEqual(batch.retry, [1, 2, 4])
        XCTAssertEqual(batch.nextOffsets[KafkaTopicPartition(topic: "t", partition: 0)], 8)
    }
}
