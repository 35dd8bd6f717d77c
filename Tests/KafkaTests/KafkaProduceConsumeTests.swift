import Kafka
import TestSupport
import XCTest

/// Producing and consuming against a real (Tansu) broker.
final class KafkaProduceConsumeTests: XCTestCase {
    var broker: KafkaBroker!

    override func setUpWithError() throws {
        broker = try KafkaBroker.shared()
    }

    private func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

    func testRecordsRoundTripExactlyInPartitionOrder() async throws {
        let topic = KafkaBroker.uniqueTopic("roundtrip")
        try await broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: broker.configuration())
        let sent = [
            KafkaOutgoingMessage(topic: topic, key: bytes("client-1"), value: bytes("{\"n\":1}"),
                                 headers: [KafkaHeader(name: "type", string: "ClientCreated"),
                                           KafkaHeader(name: "null", value: nil),
                                           KafkaHeader(name: "empty", value: []),
                                           KafkaHeader(name: "type", string: "repeated name")]),
            KafkaOutgoingMessage(topic: topic, key: nil, value: [0, 255, 0, 7]),
            KafkaOutgoingMessage(topic: topic, partition: 0, key: bytes("client-2"), value: Array(repeating: 42, count: 100_000)),
            KafkaOutgoingMessage(topic: topic, key: bytes("client-1"), value: bytes("third"), headers: [KafkaHeader(name: "h", value: [1, 2, 3])]),
        ]
        var reports: [KafkaDeliveryReport] = []
        for message in sent { reports.append(try await producer.send(message)) }
        await producer.close(timeout: .seconds(5))
        XCTAssertEqual(reports.map(\.offset), [0, 1, 2, 3])
        XCTAssertEqual(Set(reports.map(\.partition)), [0])
        XCTAssertEqual(Set(reports.map(\.topic)), [topic])

        let consumer = try KafkaConsumer(configuration: broker.configuration())
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        try consumer.assign([(partition, offset: -2)])
        let (records, ends) = try await consumer.drain([partition])
        await consumer.close()

        XCTAssertEqual(records.count, sent.count)
        for (record, message) in zip(records, sent) {
            XCTAssertEqual(record.topic, topic)
            XCTAssertEqual(record.key, message.key)
            XCTAssertEqual(record.value, message.value)
            XCTAssertEqual(record.headers, message.headers)
            XCTAssertNotNil(record.timestamp)
        }
        XCTAssertEqual(records.map(\.offset), [0, 1, 2, 3])
        XCTAssertEqual(ends[partition], 4)
        if let timestamp = records.first?.timestamp {
            XCTAssertLessThan(abs(timestamp.timeIntervalSinceNow), 60)
        }
    }

    func testSendReturnsConsecutiveOffsetsPerPartitionAndKeysStayOnOnePartition() async throws {
        let topic = KafkaBroker.uniqueTopic("offsets")
        try await broker.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: broker.configuration())
        var byPartition: [Int32: [Int64]] = [:]
        var partitionOfKey: [String: Int32] = [:]
        for index in 0..<60 {
            let key = "client-\(index % 6)"
            let report = try await producer.send(KafkaOutgoingMessage(topic: topic, key: bytes(key), value: bytes("\(index)")))
            XCTAssertEqual(report.topic, topic)
            XCTAssertTrue((0..<3).contains(report.partition))
            byPartition[report.partition, default: []].append(report.offset)
            if let previous = partitionOfKey[key] { XCTAssertEqual(previous, report.partition, "key \(key) moved") }
            partitionOfKey[key] = report.partition
        }
        await producer.close(timeout: .seconds(5))
        XCTAssertEqual(byPartition.values.reduce(0) { $0 + $1.count }, 60)
        for (partition, offsets) in byPartition {
            XCTAssertEqual(offsets, Array(0..<Int64(offsets.count)), "partition \(partition)")
        }
    }

    func testSendBatchOfFiveThousandKeepsOrderPerPartition() async throws {
        let topic = KafkaBroker.uniqueTopic("batch")
        try await broker.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: broker.configuration(["linger.ms": "5"]))
        let count = 5_000
        let messages = (0..<count).map { index in
            KafkaOutgoingMessage(topic: topic, key: bytes("k\(index % 17)"),
                                 value: bytes("{\"event\":\(index),\"padding\":\"\(String(repeating: "x", count: 100))\"}"),
                                 headers: [KafkaHeader(name: "seq", string: "\(index)")])
        }
        let started = ContinuousClock.now
        let results = try await producer.sendBatch(messages)
        let produceTime = ContinuousClock.now - started
        // The first batch includes connecting and getting a producer id; time a warm one too
        // (to another topic, so the checks below see only the first).
        let warmTopic = KafkaBroker.uniqueTopic("batch-warm")
        try await broker.createTopic(warmTopic, partitions: 2)
        let warmStarted = ContinuousClock.now
        let warm = try await producer.sendBatch(messages.map { KafkaOutgoingMessage(topic: warmTopic, key: $0.key, value: $0.value, headers: $0.headers) })
        let warmTime = ContinuousClock.now - warmStarted
        XCTAssertEqual(warm.filter { (try? $0.get()) == nil }.count, 0)
        await producer.close(timeout: .seconds(5))

        XCTAssertEqual(results.count, count)
        let reports = try results.map { try $0.get() }
        var lastOffset: [Int32: Int64] = [:]
        for report in reports {
            // Enqueued in order, so within a partition each report's offset is the next one.
            XCTAssertEqual(report.offset, (lastOffset[report.partition] ?? -1) + 1)
            lastOffset[report.partition] = report.offset
        }

        let consumer = try KafkaConsumer(configuration: broker.configuration())
        let partitions = Set((0..<2).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) })
        try consumer.assign(partitions.map { ($0, offset: -2) })
        let consumeStarted = ContinuousClock.now
        let (records, ends) = try await consumer.drain(partitions)
        let consumeTime = ContinuousClock.now - consumeStarted
        await consumer.close()
        XCTAssertEqual(records.count, count)
        for partition in partitions {
            let sequence = records.filter { $0.partition == partition.partition }
                .map { Int(String(decoding: $0.headers[0].value ?? [], as: UTF8.self))! }
            XCTAssertEqual(sequence, sequence.sorted(), "partition \(partition.partition) out of order")
            XCTAssertEqual(ends[partition], Int64(sequence.count))
        }
        print("sendBatch of \(count) messages: \(produceTime) (warm producer: \(warmTime)); consuming them: \(consumeTime)")
    }

    func testApplicationHeldOffsetResumesWithoutGapsOrDuplicates() async throws {
        let topic = KafkaBroker.uniqueTopic("resume")
        try await broker.createTopic(topic, partitions: 1)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let producer = try KafkaProducer(configuration: broker.configuration())
        let results = try await producer.sendBatch((0..<50).map {
            KafkaOutgoingMessage(topic: topic, partition: 0, value: bytes("event-\($0)"))
        })
        XCTAssertEqual(try results.map { try $0.get().offset }, Array(0..<50))

        // First run: apply 20 records, remember the next offset (as a read model would).
        let first = try KafkaConsumer(configuration: broker.configuration())
        try first.assign([(partition, offset: -2)])
        var applied: [KafkaRecord] = []
        try await eventually("20 records applied (\(applied.count))", timeout: .seconds(15), pausing: false) {
            for event in try await first.poll(maxEvents: 20 - applied.count, timeout: .milliseconds(500)) {
                if case .record(let record) = event { applied.append(record) }
            }
            return applied.count >= 20
        }
        XCTAssertEqual(applied.count, 20, "poll returned more than maxEvents or too few records")
        let nextOffset = applied.last!.offset + 1
        await first.close()
        await first.close()  // idempotent
        do {
            _ = try await first.poll(maxEvents: 1, timeout: .milliseconds(10))
            XCTFail("poll after close should throw")
        } catch let error as KafkaError {
            XCTAssertEqual(error.code.kind, .closed)
        }

        // Second run: start where the application left off.
        let second = try KafkaConsumer(configuration: broker.configuration())
        try second.assign([(partition, offset: nextOffset)])
        let (rest, ends) = try await second.drain([partition])
        XCTAssertEqual(ends[partition], 50)

        // More events arrive; the same consumer sees them and a new EOF.
        _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: 0, value: bytes("event-50")))
        let (late, lateEnds) = try await second.drain([partition])
        await second.close()
        await producer.close(timeout: .seconds(5))

        let all = applied + rest + late
        XCTAssertEqual(all.map(\.offset), Array(0...50))
        XCTAssertEqual(all.map { String(decoding: $0.value, as: UTF8.self) }, (0...50).map { "event-\($0)" })
        XCTAssertEqual(lateEnds[partition], 51)
    }

    func testPartitionEOFReportsNextOffsetForEmptyAndFilledPartitions() async throws {
        let topic = KafkaBroker.uniqueTopic("eof")
        try await broker.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: broker.configuration())
        for index in 0..<7 {
            _ = try await producer.send(KafkaOutgoingMessage(topic: topic, partition: 1, value: bytes("\(index)")))
        }
        await producer.close(timeout: .seconds(5))
        let empty = KafkaTopicPartition(topic: topic, partition: 0)
        let filled = KafkaTopicPartition(topic: topic, partition: 1)

        let consumer = try KafkaConsumer(configuration: broker.configuration())
        try consumer.assign([(empty, offset: -2), (filled, offset: 3)])
        let (records, ends) = try await consumer.drain([empty, filled])
        XCTAssertEqual(records.map(\.offset), [3, 4, 5, 6])
        XCTAssertEqual(ends, [empty: 0, filled: 7])

        // Seeking back re-reads from there and reports the same end again.
        try consumer.seek(filled, offset: 5)
        let (again, endsAgain) = try await consumer.drain([filled])
        XCTAssertEqual(again.map(\.offset), [5, 6])
        XCTAssertEqual(endsAgain[filled], 7)

        let nothing = try await consumer.poll(maxEvents: 10, timeout: .milliseconds(200))
        XCTAssertEqual(nothing.count, 0, "nothing new: an empty batch after the timeout")
        await consumer.close()
    }
}

extension KafkaProduceConsumeTests {
    func testAnOffsetBeyondTheLogIsAnErrorNotASilentRestart() async throws {
        let topic = KafkaBroker.uniqueTopic("range")
        try await broker.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: broker.configuration())
        _ = try await producer.sendBatch((0..<3).map { KafkaOutgoingMessage(topic: topic, value: [UInt8($0)]) })
        await producer.close(timeout: .seconds(5))

        // As after the in-memory broker restarted: the application's stored offset is past the end.
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        let consumer = try KafkaConsumer(configuration: broker.configuration())
        try consumer.assign([(partition, offset: 1000)])
        var thrown: KafkaError?
        var records: [KafkaRecord] = []
        try await eventually("the consumer reports the offset out of range", timeout: .seconds(10), pausing: false) {
            do {
                for event in try await consumer.poll(maxEvents: 100, timeout: .milliseconds(500)) {
                    if case .record(let record) = event { records.append(record) }
                }
            } catch let error as KafkaError {
                thrown = error
            }
            return thrown != nil
        }
        XCTAssertEqual(records.count, 0, "no records from elsewhere in the log")
        XCTAssertEqual(thrown?.code.kind, .offsetOutOfRange, "\(String(describing: thrown))")
        XCTAssertEqual(thrown?.context["topic"], topic)

        // The application decides: here, start again from the beginning.
        try consumer.seek(partition, offset: -2)
        let (again, ends) = try await consumer.drain([partition])
        XCTAssertEqual(again.map(\.offset), [0, 1, 2])
        XCTAssertEqual(ends[partition], 3)
        await consumer.close()
    }
}
