import ClientDomain
@testable import EventStore
import EventLog
import Foundation
import Kafka
import Postgres
import ServiceRuntime
import TestSupport
import XCTest

/// Republishing the whole event store: on request, after the broker lost its log (noticed by
/// the log check, or by a delivery landing below the recorded end), and resumed by another
/// relay after the first one stopped half-way.
final class LogRepublishTests: XCTestCase {
    func makeRelay(_ fixture: EventStoreFixture, broker: KafkaBroker, topic: String, partitions: Int32,
                   checked: Bool = true, timeoutMs: Int = 30_000) throws -> OutboxRelay {
        let logCheck = checked ? EventsLogCheck(kafka: broker.configuration(), admin: try KafkaAdmin(configuration: broker.configuration()),
                                                topic: topic, partitions: partitions) : nil
        return OutboxRelay(pool: fixture.pool, topic: topic, logger: EventStoreFixture.quietLogger, metrics: MetricsRegistry(),
                           wake: fixture.wake, logCheck: logCheck) {
            try KafkaProducer(configuration: broker.configuration(["message.timeout.ms": String(timeoutMs)]))
        }
    }

    /// Creates `clients` clients with two updates each; returns every stored event.
    func writeSome(_ fixture: EventStoreFixture, clients: Int, note: String = "step") async throws -> [EventEnvelope] {
        var all: [EventEnvelope] = []
        for index in 0..<clients {
            let id = try await fixture.createClient(ClientProfile(name: "C\(index)")).id
            all += try await update(fixture, id, note: note)
        }
        return all
    }

    /// Updates `id` twice; returns its whole stream.
    func update(_ fixture: EventStoreFixture, _ id: UUID, note: String) async throws -> [EventEnvelope] {
        for step in 0..<2 {
            _ = try await fixture.handler.handle(.update(UpdateClient(clientId: id, tenantId: fixture.tenant,
                                                                      changes: ClientProfileChanges(notes: .set("\(note) \(step)")))),
                                                 metadata: fixture.metadata)
        }
        return try await fixture.store.load(streamId: id)
    }

    /// Relays until the outbox is empty and no republish runs.
    func drain(_ relay: OutboxRelay, _ fixture: EventStoreFixture, timeout: Duration = .seconds(60)) async throws {
        try await self.relay(relay, fixture, until: """
            SELECT NOT (EXISTS (SELECT 1 FROM outbox) OR EXISTS (SELECT 1 FROM log_republishes WHERE state = 'running'))
            """, timeout: timeout)
    }

    /// The records of `epoch` (by the log-epoch header), decoded, in log order.
    func events(ofEpoch epoch: Int64, in records: [KafkaRecord]) throws -> [StoredEvent] {
        try records.filter { CloudEventsKafkaBinding.logEpoch(of: $0) == epoch }.map { try CloudEventsKafkaBinding.event(from: $0) }
    }

    /// Each client's events appear once each, in version order, keyed by client on one partition.
    func assertEveryEventOnceInStreamOrder(_ records: [KafkaRecord], epoch: Int64, expected: [EventEnvelope],
                                           file: StaticString = #filePath, line: UInt = #line) throws {
        let epochRecords = records.filter { CloudEventsKafkaBinding.logEpoch(of: $0) == epoch }
        let events = try epochRecords.map { try CloudEventsKafkaBinding.event(from: $0).envelope }
        XCTAssertEqual(events.count, expected.count, "records of epoch \(epoch)", file: file, line: line)
        XCTAssertEqual(Set(events.map(\.eventId)), Set(expected.map(\.eventId)), file: file, line: line)
        var partitionOf: [UUID: Int32] = [:]
        var versions: [UUID: [Int64]] = [:]
        for (record, event) in zip(epochRecords, events) {
            XCTAssertEqual(partitionOf[event.streamId, default: record.partition], record.partition, file: file, line: line)
            partitionOf[event.streamId] = record.partition
            versions[event.streamId, default: []].append(event.streamVersion)
        }
        for (stream, seen) in versions {
            XCTAssertEqual(seen, Array(1...Int64(seen.count)), "stream \(stream) out of order", file: file, line: line)
        }
    }

    func testARequestedRepublishSendsEveryEventAgainInANewEpochAndAnotherRelayFinishesIt() async throws {
        let fixture = try await EventStoreFixture.make()
        let broker = try KafkaBroker.shared()
        let topic = KafkaBroker.uniqueTopic("republish")
        try await broker.createTopic(topic, partitions: 4)
        let stored = try await writeSome(fixture, clients: 30)
        let first = try makeRelay(fixture, broker: broker, topic: topic, partitions: 4)
        try await drain(first, fixture)

        let (republish, started) = try await fixture.pool.withTransaction {
            try LogRepublishes.start(reason: .operatorRequest, topic: topic, replacingLostLog: false, on: $0)
        }
        XCTAssertTrue(started)
        XCTAssertEqual(republish.epoch, 1)
        XCTAssertEqual(republish.totalEvents, Int64(stored.count))
        let again = try await fixture.pool.withTransaction {
            try LogRepublishes.start(reason: .operatorRequest, topic: topic, replacingLostLog: false, on: $0)
        }
        XCTAssertFalse(again.started, "a second request follows the running republish")
        XCTAssertEqual(again.republish.epoch, 1)

        // The first relay sends two batches of 20, then stops (as if killed).
        first.republishBatchSize = 20
        for _ in 0..<2 {
            let sent = try await first.relayOnce()
            XCTAssertEqual(sent, 20)
        }
        // Writes during the republish wait in the outbox and follow it.
        let late = try await update(fixture, stored[0].streamId, note: "late")
        _ = try await fixture.pool.query("UPDATE relay_lease SET expires_at = now() - interval '1 second'")
        let second = try makeRelay(fixture, broker: broker, topic: topic, partitions: 4)
        try await drain(second, fixture)

        let row = try await fixture.pool.withConnection { try LogRepublishes.latest(on: $0) }
        XCTAssertEqual(row?.state, .done)
        XCTAssertEqual(row?.eventsPublished, Int64(stored.count), "resumed at its cursor: nothing sent twice")
        let records = try await KafkaConsumer.readToEnd(topic: topic, partitions: 4, broker: broker)
        try assertEveryEventOnceInStreamOrder(records, epoch: 0, expected: stored)
        // The updates stored during the republish follow it, in the new epoch, after their
        // stream's republished events.
        let lateEvents = late.filter { $0.streamVersion > 3 }
        XCTAssertEqual(lateEvents.count, 2)
        try assertEveryEventOnceInStreamOrder(records, epoch: 1, expected: stored + lateEvents)
        let ends = try await fixture.pool.query("SELECT sum(next_offset)::bigint FROM published_offsets WHERE topic = $1", [topic])
        XCTAssertEqual(try ends[0].decode(0, as: Int64.self), Int64(records.count), "the recorded end is the log's")
    }

    /// Runs the relay's rounds (as `run()` would, rebuilding a stalled producer) until
    /// `condition` (SQL returning one boolean) holds.
    func relay(_ relay: OutboxRelay, _ fixture: EventStoreFixture, until condition: String,
               timeout: Duration = .seconds(60)) async throws {
        try await eventually("the relay got to \(condition)", timeout: timeout) {
            if try await fixture.pool.query(condition)[0].decode(0, as: Bool.self) { return true }
            do {
                _ = try await relay.relayOnce()
            } catch {
                if let producer = relay.producer, !producer.isHealthy {
                    await producer.close(timeout: .seconds(1))
                    relay.producer = nil
                }
            }
            return false
        }
    }

    func testALogLostInABrokerRestartIsNoticedByTheCheckAndRepublishedInStreamOrder() async throws {
        let fixture = try await EventStoreFixture.make()
        let broker = try KafkaBroker.start()
        defer { broker.stop() }
        let topic = KafkaBroker.uniqueTopic("lost")
        try await broker.createTopic(topic, partitions: 4)
        let stored = try await writeSome(fixture, clients: 20)
        let relay = try makeRelay(fixture, broker: broker, topic: topic, partitions: 4, timeoutMs: 3_000)
        relay.logCheckInterval = .milliseconds(100)
        try await drain(relay, fixture)
        let republishes = try await fixture.pool.query("SELECT 1 FROM log_republishes")
        XCTAssertEqual(republishes.count, 0, "no republish while the log is intact")

        try broker.restart()
        // Nothing is written: only the relay's check can notice the loss.
        try await self.relay(relay, fixture, until: "SELECT EXISTS (SELECT 1 FROM log_republishes WHERE state = 'done')")
        let row = try await fixture.pool.withConnection { try LogRepublishes.latest(on: $0) }
        XCTAssertEqual(row?.reason, LogRepublish.Reason.topicMissing.rawValue)
        XCTAssertEqual(row?.epoch, 1)
        XCTAssertEqual(row?.eventsPublished, Int64(stored.count))
        let admin = try KafkaAdmin(configuration: broker.configuration())
        let partitions = try await admin.partitionCount(of: topic, timeout: .seconds(5))
        XCTAssertEqual(partitions, 4, "created again with its partition count")

        let more = try await writeSome(fixture, clients: 5, note: "after")
        try await drain(relay, fixture)
        let records = try await KafkaConsumer.readToEnd(topic: topic, partitions: 4, broker: broker)
        XCTAssertEqual(records.count, stored.count + more.count, "only the republish and the new writes are on the new log")
        try assertEveryEventOnceInStreamOrder(records, epoch: 1, expected: stored + more)
        let ends = try await fixture.pool.query("SELECT sum(next_offset)::bigint FROM published_offsets WHERE topic = $1", [topic])
        XCTAssertEqual(try ends[0].decode(0, as: Int64.self), Int64(records.count), "the recorded end is the new log's")
    }

    func testADeliveryBelowTheRecordedEndStartsARepublish() async throws {
        let fixture = try await EventStoreFixture.make()
        let broker = try KafkaBroker.start()
        defer { broker.stop() }
        let topic = KafkaBroker.uniqueTopic("below")
        try await broker.createTopic(topic, partitions: 2)
        let stored = try await writeSome(fixture, clients: 10)
        // No log check: the relay can only notice from where its deliveries land.
        let relay = try makeRelay(fixture, broker: broker, topic: topic, partitions: 2, checked: false, timeoutMs: 3_000)
        try await drain(relay, fixture)

        try broker.restart()
        try await broker.createTopic(topic, partitions: 2)
        let more = try await writeSome(fixture, clients: 3, note: "after")
        try await drain(relay, fixture)

        let row = try await fixture.pool.withConnection { try LogRepublishes.latest(on: $0) }
        XCTAssertEqual(row?.reason, LogRepublish.Reason.logLost.rawValue)
        XCTAssertEqual(row?.state, .done)
        let records = try await KafkaConsumer.readToEnd(topic: topic, partitions: 2, broker: broker)
        // What landed before the loss was noticed stays as early copies (epoch 0); the
        // republish then holds every event once, in order.
        let early = try events(ofEpoch: 0, in: records)
        XCTAssertFalse(early.isEmpty)
        XCTAssertTrue(Set(early.map(\.envelope.eventId)).isSubset(of: Set(more.map(\.eventId))))
        try assertEveryEventOnceInStreamOrder(records, epoch: 1, expected: stored + more)
    }
}
