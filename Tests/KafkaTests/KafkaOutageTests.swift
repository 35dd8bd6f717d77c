import Kafka
import TestSupport
import XCTest

/// Broker outages, on a private broker that the test freezes and restarts.
final class KafkaOutageTests: XCTestCase {
    func testSendToAPausedBrokerTimesOutAndWorksAgainAfterResume() async throws {
        let broker = try KafkaBroker.start()
        defer { broker.stop() }
        let topic = KafkaBroker.uniqueTopic("outage")
        try await broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: broker.configuration(["message.timeout.ms": "2000"]))
        let first = try await producer.send(KafkaOutgoingMessage(topic: topic, value: Array("before".utf8)))
        XCTAssertEqual(first.offset, 0)

        broker.pause()
        let started = ContinuousClock.now
        do {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, value: Array("during".utf8)))
            XCTFail("a send to a frozen broker should fail")
        } catch let error as KafkaError {
            XCTAssertEqual(error.code.kind, .timedOut, "\(error)")
            XCTAssertEqual(error.clienteleError.code, .unavailable)
            XCTAssertFalse(error.description.contains("during"), "no payload in errors")
        }
        let waited = ContinuousClock.now - started
        // A correctness bound, not a performance claim: 2 s of message.timeout.ms against
        // librdkafka's default of 300 s.
        XCTAssertLessThan(waited, .seconds(10), "message.timeout.ms should bound the wait")
        XCTAssertEqual(producer.consecutiveTimeouts, 1)
        broker.resume()

        // The same producer may go on (real Kafka bumps its epoch) or be fenced (Tansu does):
        // either it delivers, or it fails and says it is unhealthy so the caller rebuilds it.
        do {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, value: Array("retry".utf8)))
            XCTAssertEqual(producer.consecutiveTimeouts, 0)
            XCTAssertTrue(producer.isHealthy)
        } catch let error as KafkaError {
            XCTAssertFalse(producer.isHealthy, "failed with \(error) but still claims to be healthy")
        }
        await producer.close(timeout: .seconds(5))

        let rebuilt = try KafkaProducer(configuration: broker.configuration(["message.timeout.ms": "2000"]))
        let after = try await rebuilt.send(KafkaOutgoingMessage(topic: topic, value: Array("after".utf8)))
        XCTAssertEqual(after.partition, 0)
        XCTAssertTrue(rebuilt.isHealthy)
        await rebuilt.close(timeout: .seconds(5))

        // The log holds "before" first and "after" last; "during" too if the frozen broker had
        // it before the producer gave up (so re-sending after a time-out can duplicate).
        let consumer = try KafkaConsumer(configuration: broker.configuration())
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        try consumer.assign([(partition, offset: -2)])
        let (records, ends) = try await consumer.drain([partition])
        await consumer.close()
        let values = records.map { String(decoding: $0.value, as: UTF8.self) }
        XCTAssertEqual(values.first, "before")
        XCTAssertEqual(values.last, "after")
        XCTAssertEqual(ends[partition], after.offset + 1)
        XCTAssertEqual(values.count, Set(values).count, "duplicates: \(values)")
    }

    func testClosingWithUndeliverableMessagesFailsThemInsteadOfHanging() async throws {
        let broker = try KafkaBroker.start()
        defer { broker.stop() }
        let topic = KafkaBroker.uniqueTopic("close")
        try await broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: broker.configuration(["message.timeout.ms": "60000"]))
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, value: [1]))
        broker.pause()
        defer { broker.resume() }

        async let pending = producer.sendBatch((0..<10).map { KafkaOutgoingMessage(topic: topic, value: [UInt8($0)]) })
        // The batch is queued in the producer once a flush finds messages outstanding (they
        // cannot be delivered to the frozen broker).
        try await eventually("the batch is queued in the producer") {
            do {
                try await producer.flush(timeout: .milliseconds(10))
                return false
            } catch let error as KafkaError {
                return error.code.kind == .timedOut
            }
        }
        await producer.close(timeout: .milliseconds(500))
        let results = try await pending
        XCTAssertEqual(results.count, 10)
        for result in results {
            guard case .failure(let error) = result else { return XCTFail("delivered to a frozen broker?") }
            XCTAssertEqual(error.code.kind, .closed, "\(error)")
        }
        do {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, value: [2]))
            XCTFail("send after close should throw")
        } catch let error as KafkaError {
            XCTAssertEqual(error.code.kind, .closed)
        }
    }

    func testAfterABrokerRestartAnOldProducerFailsOrDeliversAndANewOneDelivers() async throws {
        let broker = try KafkaBroker.start()
        defer { broker.stop() }
        let topic = KafkaBroker.uniqueTopic("restart")
        try await broker.createTopic(topic, partitions: 2)
        let old = try KafkaProducer(configuration: broker.configuration(["message.timeout.ms": "2000"]))
        _ = try await old.send(KafkaOutgoingMessage(topic: topic, key: [1], value: [1]))

        try broker.restart()
        let admin = try KafkaAdmin(configuration: broker.configuration())
        let forgotten = try await admin.partitionCount(of: topic, timeout: .seconds(5))
        XCTAssertNil(forgotten, "the restarted in-memory broker should have forgotten \(topic)")
        try await admin.createTopic(topic, partitions: 2, timeout: .seconds(10))

        let started = ContinuousClock.now
        do {
            _ = try await old.send(KafkaOutgoingMessage(topic: topic, key: [1], value: [2]))
        } catch let error as KafkaError {
            XCTAssertNotEqual(error.code.kind, .closed, "\(error)")
        }
        // A correctness bound, not a performance claim, as above.
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10), "message.timeout.ms should bound the wait")
        await old.close(timeout: .seconds(1))

        let fresh = try KafkaProducer(configuration: broker.configuration(["message.timeout.ms": "5000"]))
        let report = try await fresh.send(KafkaOutgoingMessage(topic: topic, key: [1], value: [3]))
        XCTAssertTrue((0..<2).contains(report.partition))
        await fresh.close(timeout: .seconds(5))
        let count = try await admin.partitionCount(of: topic, timeout: .seconds(5))
        XCTAssertEqual(count, 2)
    }
}
