import ClientDomain
@testable import EventStore
import EventLog
import Foundation
import Kafka
import Postgres
import ServiceRuntime
import TestSupport
import XCTest

final class OutboxRelayTests: XCTestCase {
    func makeRelay(_ fixture: EventStoreFixture, broker: KafkaBroker, topic: String, timeoutMs: Int = 30_000,
                   vacuum: OutboxVacuum? = nil) -> OutboxRelay {
        OutboxRelay(pool: fixture.pool, topic: topic, logger: EventStoreFixture.quietLogger, metrics: MetricsRegistry(), wake: fixture.wake,
                    vacuum: vacuum) {
            try KafkaProducer(configuration: broker.configuration(["message.timeout.ms": String(timeoutMs)]))
        }
    }

    /// Writes `clients` clients with two updates each; returns every stored event.
    func writeSome(_ fixture: EventStoreFixture, clients: Int) async throws -> [EventEnvelope] {
        var all: [EventEnvelope] = []
        for index in 0..<clients {
            let id = try await fixture.createClient(ClientProfile(name: "C\(index)")).id
            for step in 0..<2 {
                _ = try await fixture.handler.handle(.update(UpdateClient(clientId: id, tenantId: fixture.tenant,
                                                                          changes: ClientProfileChanges(notes: .set("step \(step)")))),
                                                     metadata: fixture.metadata)
            }
            all += try await fixture.store.load(streamId: id)
        }
        return all
    }

    /// A relay round costs the same at any log length: even with the outbox's statistics
    /// stale (they said 20,000 rows waiting, 10 are), the prepared statement's generic plan
    /// looks the waiting events up by position instead of scanning the events from the start.
    func testReadingTheOutboxNeverScansTheLog() async throws {
        let fixture = try await EventStoreFixture.make(poolSize: 1)
        let plan = try await fixture.pool.withConnection { connection -> String in
            _ = try connection.execute("""
                INSERT INTO events (event_id, stream_id, stream_version, tenant_id, type, schema_version, occurred_at,
                                    actor_kind, actor_id, correlation_id, data)
                SELECT gen_random_uuid(), gen_random_uuid(), 1, gen_random_uuid(), 'ClientCreated', 1, now(),
                       'user', 'u1', 'c' || n, '{"name": "x"}'::jsonb
                FROM generate_series(1, 20000) AS n
                """, prepared: false)
            _ = try connection.execute("INSERT INTO outbox (position) SELECT position FROM events", prepared: false)
            _ = try connection.execute("ANALYZE events", prepared: false)
            _ = try connection.execute("ANALYZE outbox", prepared: false)
            _ = try connection.execute("DELETE FROM outbox WHERE position <= 19990", prepared: false)
            _ = try connection.execute("SET plan_cache_mode = force_generic_plan", prepared: false)
            _ = try connection.execute("PREPARE pending(int) AS " + OutboxRelay.pendingEventsSQL, prepared: false)
            return try connection.query("EXPLAIN (FORMAT JSON) EXECUTE pending(500)", prepared: false)[0]
                .decode(0, as: String.self)
        }
        XCTAssertFalse(plan.contains("Merge Join"), plan)
        XCTAssertTrue(plan.contains("\"Index Name\": \"events_pkey\""), plan)
        XCTAssertTrue(plan.contains("= ANY ($0)"), plan)
    }

    /// The outbox's vacuum service vacuums the queue while the relay deletes from it, instead
    /// of leaving the dead rows to autovacuum's next visit.
    func testTheRelayKeepsItsQueueVacuumed() async throws {
        let fixture = try await EventStoreFixture.make()
        let broker = try KafkaBroker.shared()
        let topic = KafkaBroker.uniqueTopic("vacuum")
        try await broker.createTopic(topic, partitions: 2)
        let vacuum = OutboxVacuum(pool: fixture.pool, interval: .milliseconds(100), logger: EventStoreFixture.quietLogger)
        let relay = makeRelay(fixture, broker: broker, topic: topic, vacuum: vacuum)
        var vacuums = 0
        var waiting = -1
        var sizeWhileFull = 0
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await relay.run() }
            group.addTask { try await vacuum.run() }
            _ = try await writeSome(fixture, clients: 10)
            sizeWhileFull = try await outboxSize(fixture)
            try await eventually("the outbox is published and vacuumed (\(waiting) waiting, \(vacuums) vacuums)") {
                vacuums = try await fixture.pool.query("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'outbox'")[0]
                    .decode(0, as: Int.self)
                waiting = try await fixture.pool.query("SELECT count(*) FROM outbox")[0].decode(0, as: Int.self)
                return vacuums > 0 && waiting == 0
            }
            group.cancelAll()
        }
        XCTAssertEqual(waiting, 0, "every event was published")
        XCTAssertGreaterThan(vacuums, 0, "the relay vacuumed the outbox")
        // Never truncated: truncating locks out every append (see OutboxVacuum), and a plain
        // VACUUM, as autovacuum runs it, leaves the pages too.
        XCTAssertGreaterThan(sizeWhileFull, 0)
        let afterVacuums = try await outboxSize(fixture)
        XCTAssertEqual(afterVacuums, sizeWhileFull, "the vacuum kept the outbox's pages")
        try await fixture.pool.withConnection { try $0.executeScript("VACUUM outbox") }
        let afterPlainVacuum = try await outboxSize(fixture)
        XCTAssertEqual(afterPlainVacuum, sizeWhileFull, "a plain VACUUM kept the outbox's pages")
    }

    private func outboxSize(_ fixture: EventStoreFixture) async throws -> Int {
        try await fixture.pool.query("SELECT pg_relation_size('outbox')")[0].decode(0, as: Int.self)
    }

    /// A round commits without waiting for the WAL flush, and only the round: the appends
    /// that later borrow the same pooled connection stay durable.
    func testARoundsAsynchronousCommitEndsWithTheRound() async throws {
        let fixture = try await EventStoreFixture.make()
        try await fixture.pool.withConnection { connection in
            // The test server runs with synchronous_commit off for speed; production's is on.
            try connection.executeScript("SET synchronous_commit TO on")
            let inRound = try connection.pipeline([PostgresStatement(OutboxRelay.asyncCommitSQL),
                                                   PostgresStatement("SELECT current_setting('synchronous_commit')")])
            XCTAssertEqual(try inRound[1][0].decode(0, as: String.self), "off", "the round's transaction does not wait for the flush")
            let round = try OutboxRelay.startRound(settling: nil, holder: "test", leaseSeconds: 10, needsEnds: false,
                                                   batchSize: 10, topic: "events", on: connection)
            XCTAssertTrue(round.isLeader)
            XCTAssertFalse(connection.isInTransaction, "the round committed")
            let after = try connection.query("SELECT current_setting('synchronous_commit')")
            XCTAssertEqual(try after[0].decode(0, as: String.self), "on", "the next transaction on the connection is durable")
            try connection.executeScript("RESET synchronous_commit")
        }
        let lease = try await fixture.pool.query("SELECT holder FROM relay_lease WHERE name = 'outbox'")
        XCTAssertEqual(try lease.first?.decode(0, as: String.self), "test", "the round's writes were committed")
    }

    func testPublishesEveryEventInStreamOrderAsCloudEvents() async throws {
        let fixture = try await EventStoreFixture.make()
        let broker = try KafkaBroker.shared()
        let topic = KafkaBroker.uniqueTopic("relay")
        try await broker.createTopic(topic, partitions: 4)
        let stored = try await writeSome(fixture, clients: 20)
        let relay = makeRelay(fixture, broker: broker, topic: topic)
        var published = 0
        while published < stored.count {
            let sent = try await relay.relayOnce()
            XCTAssertGreaterThan(sent, 0)
            published += sent
        }
        // The round after the last batch settles it (deletes it from the outbox) and finds nothing more.
        let after = try await relay.relayOnce()
        XCTAssertEqual(after, 0)
        let remaining = try await fixture.pool.query("SELECT 1 FROM outbox")
        XCTAssertEqual(remaining.count, 0)

        let records = try await KafkaConsumer.readToEnd(topic: topic, partitions: 4, broker: broker)
        XCTAssertEqual(records.count, stored.count)
        let events = try records.map { try CloudEventsKafkaBinding.event(from: $0) }
        XCTAssertEqual(Set(events.map(\.envelope.eventId)), Set(stored.map(\.eventId)))
        for event in events {
            let original = try XCTUnwrap(stored.first { $0.eventId == event.envelope.eventId })
            XCTAssertEqual(try ClientEvent.decode(event.envelope), try ClientEvent.decode(original))
            XCTAssertEqual(event.envelope.streamVersion, original.streamVersion)
            XCTAssertEqual(event.envelope.tenantId, original.tenantId)
        }
        // Keyed by client: each client's events sit on one partition, in version order.
        for record in records {
            XCTAssertEqual(String(decoding: record.key ?? [], as: UTF8.self),
                           try CloudEventsKafkaBinding.event(from: record).envelope.streamId.uuidString.lowercased())
        }
        let decoded = try records.map { (record: $0, envelope: try CloudEventsKafkaBinding.event(from: $0).envelope) }
        for (_, streamRecords) in Dictionary(grouping: decoded, by: { $0.envelope.streamId }) {
            XCTAssertEqual(Set(streamRecords.map(\.record.partition)).count, 1)
            XCTAssertEqual(streamRecords.map(\.envelope.streamVersion), [1, 2, 3])
        }
        let header = Dictionary(uniqueKeysWithValues: records[0].headers.map { ($0.name, String(decoding: $0.value ?? [], as: UTF8.self)) })
        XCTAssertEqual(header["ce_specversion"], "1.0")
        XCTAssertEqual(header["ce_source"], "/clientele/command-service")
        XCTAssertEqual(header["content-type"], "application/json")
        XCTAssertNotNil(header["ce_time"].flatMap(Timestamp.parse))

        // The relay's own record of the log end matches what Kafka holds.
        let offsets = try await fixture.pool.query("SELECT sum(next_offset)::bigint FROM published_offsets WHERE topic = $1", [topic])
        XCTAssertEqual(try offsets[0].decode(0, as: Int64.self), Int64(records.count))
    }

    /// Writes keep landing while the broker is frozen; once it is back every event reaches
    /// the topic, and a consumer that drops stale versions applies each exactly once.
    func testBrokerOutageLosesNothing() async throws {
        let fixture = try await EventStoreFixture.make()
        let broker = try KafkaBroker.start()
        defer { broker.stop() }
        let topic = KafkaBroker.uniqueTopic("outage")
        try await broker.createTopic(topic, partitions: 2)
        let relay = makeRelay(fixture, broker: broker, topic: topic, timeoutMs: 2_000)
        let relayTask = Task { try await relay.run() }

        let before = try await writeSome(fixture, clients: 3)
        broker.pause()
        let during = try await writeSome(fixture, clients: 5)
        // The outage's length is the behaviour under test: longer than the relay's 2 s
        // message timeout, so its sends fail while the broker is frozen.
        try await Task.sleep(for: .seconds(4))
        broker.resume()
        let after = try await writeSome(fixture, clients: 3)

        try await eventually("the outbox drains after the outage", timeout: .seconds(90)) {
            try await fixture.pool.query("SELECT 1 FROM outbox LIMIT 1").isEmpty
        }
        relayTask.cancel()
        _ = try? await relayTask.value

        let stored = before + during + after
        let records = try await KafkaConsumer.readToEnd(topic: topic, partitions: 2, broker: broker)
        var applied: [UUID: Int64] = [:]
        var appliedEvents: [UUID] = []
        for record in records {
            let event = try CloudEventsKafkaBinding.event(from: record).envelope
            if event.streamVersion == (applied[event.streamId] ?? 0) + 1 {
                applied[event.streamId] = event.streamVersion
                appliedEvents.append(event.eventId)
            }
        }
        XCTAssertEqual(appliedEvents.count, stored.count, "each stored event applied exactly once")
        XCTAssertEqual(Set(appliedEvents), Set(stored.map(\.eventId)))
    }

    /// One relay publishes at a time: a second one stays idle while the first holds its lease
    /// (which the holder does not rewrite every round) and takes over once it expired.
    func testOneRelayHoldsTheLeaseUntilItExpires() async throws {
        let fixture = try await EventStoreFixture.make()
        let broker = try KafkaBroker.shared()
        let topic = KafkaBroker.uniqueTopic("lease")
        try await broker.createTopic(topic, partitions: 2)
        let first = makeRelay(fixture, broker: broker, topic: topic)
        let second = makeRelay(fixture, broker: broker, topic: topic)
        // Long enough that this test's rounds all fall in the lease's first half, however slow the machine.
        first.leaseDuration = .seconds(60)
        second.leaseDuration = .seconds(60)
        _ = try await writeSome(fixture, clients: 1)
        let sentByFirst = try await first.relayOnce()
        XCTAssertEqual(sentByFirst, 3)
        let expiry = try await fixture.pool.query("SELECT holder, expires_at FROM relay_lease")
        _ = try await writeSome(fixture, clients: 1)
        let sentBySecond = try await second.relayOnce()
        XCTAssertEqual(sentBySecond, 0, "the second relay waits while the first holds the lease")
        let sentAgain = try await first.relayOnce()
        XCTAssertEqual(sentAgain, 3)
        let settling = try await first.relayOnce()
        XCTAssertEqual(settling, 0)
        let renewed = try await fixture.pool.query("SELECT holder, expires_at FROM relay_lease")
        XCTAssertEqual(try renewed[0].decode(0, as: String.self), try expiry[0].decode(0, as: String.self))
        XCTAssertEqual(try renewed[0].decode(1, as: Date.self), try expiry[0].decode(1, as: Date.self),
                       "a fresh lease is not rewritten by every round")

        try await fixture.pool.execute("UPDATE relay_lease SET expires_at = now() - interval '1 second'")
        _ = try await writeSome(fixture, clients: 1)
        let takenOver = try await second.relayOnce()
        XCTAssertEqual(takenOver, 3, "the second relay takes over an expired lease")
        let holder = try await fixture.pool.query("SELECT holder, expires_at > now() FROM relay_lease")
        XCTAssertNotEqual(try holder[0].decode(0, as: String.self), try expiry[0].decode(0, as: String.self))
        XCTAssertTrue(try holder[0].decode(1, as: Bool.self))
        // The first relay, no longer the holder, sends nothing.
        _ = try await writeSome(fixture, clients: 1)
        let sentByOld = try await first.relayOnce()
        XCTAssertEqual(sentByOld, 0)
    }

    /// A command service killed while it held the lease (no release, no renewal) holds up the
    /// log only for a few seconds: the lease it took runs 3 s, and a replacement relay, such as
    /// the restarted process's, takes over as soon as it has run out. Found by the fault suite:
    /// with a 10 s lease both read models stalled 8 to 10 s after every `kill -9` of the command
    /// service, past the 5 s recovery target for a single service.
    ///
    /// Measured on the database's clock, from the lease rows themselves: wall time around the
    /// rounds also counts this test's own writes, which a loaded CI host stretches.
    func testAReplacementTakesOverWithinSecondsOfACrashedLeader() async throws {
        let fixture = try await EventStoreFixture.make()
        let broker = try KafkaBroker.shared()
        let topic = KafkaBroker.uniqueTopic("crash")
        try await broker.createTopic(topic, partitions: 1)
        let crashed = makeRelay(fixture, broker: broker, topic: topic)
        _ = try await writeSome(fixture, clients: 1)
        let sentBeforeTheCrash = try await crashed.relayOnce()
        XCTAssertEqual(sentBeforeTheCrash, 3)
        let crashedLease = try await fixture.pool.query("""
            SELECT holder, extract(epoch FROM expires_at - now())::float8, extract(epoch FROM expires_at)::float8
            FROM relay_lease
            """)
        let crashedHolder = try crashedLease[0].decode(0, as: String.self)
        XCTAssertLessThanOrEqual(try crashedLease[0].decode(1, as: Double.self), 3.0, "the crashed leader's lease runs at most 3 s")
        let crashedLeaseEnd = try crashedLease[0].decode(2, as: Double.self)

        let replacement = makeRelay(fixture, broker: broker, topic: topic)
        _ = try await writeSome(fixture, clients: 1)
        var sent = 0
        try await eventually("the replacement relay publishes", timeout: .seconds(30)) {
            sent += try await replacement.relayOnce()
            return sent > 0
        }
        XCTAssertEqual(sent, 6, "what the crashed leader sent but never settled, again, and the new client's events")
        // The replacement took its lease `leaseDuration` before that lease's end.
        let replacementLease = try await fixture.pool.query("SELECT holder, extract(epoch FROM expires_at)::float8 FROM relay_lease")
        XCTAssertNotEqual(try replacementLease[0].decode(0, as: String.self), crashedHolder)
        let takenAt = try replacementLease[0].decode(1, as: Double.self) - Double(replacement.leaseDuration.components.seconds)
        XCTAssertGreaterThanOrEqual(takenAt, crashedLeaseEnd, "nobody takes a lease that has not run out")
        XCTAssertLessThanOrEqual(takenAt - crashedLeaseEnd, 1.0, "the replacement takes over within a second of the lease's end")
    }

    /// The relay's producer lingers 0.1 ms unless the operator configured a linger.
    func testTheProducerLingersBrieflyUnlessConfigured() {
        let plain = OutboxRelay.producerConfiguration(KafkaConfiguration(bootstrapServers: "127.0.0.1:9092"))
        XCTAssertEqual(plain.properties["linger.ms"], "0.1")
        XCTAssertEqual(plain.bootstrapServers, "127.0.0.1:9092")
        let given = OutboxRelay.producerConfiguration(KafkaConfiguration(bootstrapServers: "b:9092", properties: ["linger.ms": "20"]))
        XCTAssertEqual(given.properties["linger.ms"], "20")
        let alias = OutboxRelay.producerConfiguration(KafkaConfiguration(bootstrapServers: "b:9092",
                                                                         properties: ["queue.buffering.max.ms": "7"]))
        XCTAssertNil(alias.properties["linger.ms"])
    }
}
