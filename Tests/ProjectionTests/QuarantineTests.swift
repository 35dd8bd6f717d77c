import ClientDomain
import EventLog
import Foundation
import Errors
import InternalAPI
import Postgres
import Projection
import SearchReadModel
import ServiceRuntime
import StatsReadModel
import Synchronization
import TestSupport
import XCTest

/// A poison event parks its stream, never the log: the runner's quarantine against real
/// PostgreSQL and the real broker.
final class QuarantineTests: XCTestCase {
    /// "a" followed by 3,000 combining marks: one character, about 6 KB of UTF-8, more than a
    /// B-tree entry holds (the finding that stopped the search projection for everyone).
    static let combiningName = "a" + String(repeating: "\u{0301}", count: 3000)

    func testAnEventThatCannotBeStoredParksItsStreamWhileTheOthersApply() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let tenant = UUID()
        let poisoned = UUID()
        let withNul = UUID()
        var events: [StoredEvent] = []
        var healthy: [UUID] = []
        for index in 0..<50 {
            let id = UUID()
            healthy.append(id)
            events.append(try script.create(id, tenant: tenant, ClientProfile(name: "Before \(index)")))
        }
        events.append(try script.create(poisoned, tenant: tenant, ClientProfile(name: Self.combiningName)))
        events.append(try script.change(poisoned, tenant: tenant, ClientProfileChanges(notes: .set("second"))))
        events.append(try script.create(withNul, tenant: tenant, ClientProfile(name: "nul\u{0}here")))
        for index in 0..<50 {
            let id = UUID()
            healthy.append(id)
            events.append(try script.create(id, tenant: tenant, ClientProfile(name: "After \(index)")))
        }
        var ends = try await fixture.produce(events)
        let runner = fixture.runner(batchSize: 1000)
        try await fixture.catchUp(runner, to: ends)

        // Every other stream applied; the log moved past the poison; both streams parked.
        let search = ClientSearch(pool: fixture.pool)
        for id in healthy { let value1 = try await search.client(id: id, tenantId: tenant); XCTAssertNotNil(value1) }
        let value2 = try await search.version(of: poisoned)
        XCTAssertNil(value2)
        let value3 = try await search.version(of: withNul)
        XCTAssertNil(value3)
        let value4 = try await fixture.offsetsSum()
        XCTAssertEqual(value4, Int64(events.count))
        XCTAssertEqual(runner.parkedVersion(of: poisoned), 2)
        XCTAssertEqual(runner.parkedVersion(of: withNul), 1)
        let (parked, passed) = try await runner.quarantine()
        XCTAssertEqual(passed, [])
        let byStream = Dictionary(uniqueKeysWithValues: parked.map { ($0.streamId, $0) })
        XCTAssertEqual(byStream.count, 2)
        let poisonedEntry = try XCTUnwrap(byStream[poisoned])
        XCTAssertEqual([poisonedEntry.firstVersion, poisonedEntry.lastVersion, poisonedEntry.events], [1, 2, 2])
        XCTAssertTrue(poisonedEntry.reason.contains("23514"), poisonedEntry.reason)
        XCTAssertFalse(poisonedEntry.reason.contains("\u{0301}"), "the reason carries no event data")
        let nulReason = try XCTUnwrap(byStream[withNul]).reason
        XCTAssertTrue(nulReason.contains("22") || nulReason.contains("invalid_argument"), nulReason)
        XCTAssertTrue(fixture.metrics.render().contains("clientele_projection_parked_streams{projection=\"search\"} 2"))

        // A later event of the parked stream waits behind it, in order; a write waiting for it is told at once.
        let third = try script.change(poisoned, tenant: tenant, ClientProfileChanges(status: .inactive))
        let late = UUID()
        let started = ContinuousClock.now
        async let waited = fixture.waiters.wait(streamId: poisoned, version: 3, timeout: .seconds(60)) {
            StreamVisibility(applied: try await search.version(of: poisoned), parked: runner.parkedVersion(of: poisoned))
        }
        ends = try await fixture.produce([third, try script.create(late, tenant: tenant, ClientProfile(name: "Late"))])
        try await fixture.catchUp(runner, to: ends)
        let visibility = try await waited
        XCTAssertTrue(visibility.isParked(3))
        XCTAssertFalse(visibility.isVisible(3))
        // A correctness bound, not a performance claim: the wait's timeout is 60 s.
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(30), "the parked write is answered when parked, not at its timeout")
        let value5 = try await search.client(id: late, tenantId: tenant)
        XCTAssertNotNil(value5)
        XCTAssertEqual(runner.parkedVersion(of: poisoned), 3)

        // While the cause stays, a retry changes nothing and says why.
        do {
            _ = try await runner.retryParked(poisoned)
            XCTFail("the retry must fail while the event still cannot be stored")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .conflict)
            XCTAssertTrue(error.context["reason"]?.contains("23514") ?? false, error.description)
        }
        XCTAssertEqual(runner.parkedVersion(of: poisoned), 3)
        let value6 = try await search.version(of: poisoned)
        XCTAssertNil(value6)

        // The cause removed (the operator's migration lifts the limit), the retry applies the
        // stream's events in order and the stream goes on from the log.
        try await fixture.pool.execute("ALTER TABLE clients DROP CONSTRAINT clients_indexed_bytes")
        try await fixture.pool.execute("DROP INDEX clients_by_tenant_name")
        let release = try await runner.retryParked(poisoned)
        XCTAssertEqual(release.applied, 3)
        XCTAssertEqual(release.version, 3)
        let found = try await search.client(id: poisoned, tenantId: tenant)
        let record = try XCTUnwrap(found)
        XCTAssertEqual(record.profile.name, Self.combiningName)
        XCTAssertEqual(record.profile.notes, "second")
        XCTAssertEqual(record.profile.status, .inactive)
        XCTAssertNil(runner.parkedVersion(of: poisoned))
        ends = try await fixture.produce([try script.change(poisoned, tenant: tenant, ClientProfileChanges(notes: .set("fourth")))])
        try await fixture.catchUp(runner, to: ends)
        let value7 = try await search.version(of: poisoned)
        XCTAssertEqual(value7, 4)

        // A skip records who passed over what; nothing is left parked, nothing was skipped silently.
        do {
            _ = try await runner.retryParked(poisoned)
            XCTFail("a stream that is not parked cannot be retried")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .notFound)
        }
        let skip = try await runner.skipParked(withNul, by: "ops@example")
        XCTAssertEqual(skip.applied, 0)
        XCTAssertEqual(skip.passed.map(\.version), [1])
        XCTAssertEqual(skip.passed.first?.passedBy, "ops@example")
        let after = try await runner.quarantine()
        XCTAssertEqual(after.parked, [])
        XCTAssertEqual(after.passed.map(\.streamId), [withNul])
        XCTAssertEqual(after.passed.first?.eventType, ClientCreated.type)
        XCTAssertTrue(fixture.metrics.render().contains("clientele_projection_parked_streams{projection=\"search\"} 0"))
        await runner.close()
    }

    /// An event the read model refuses (here of a type it does not know) parks its stream
    /// with the stream's later events; a skip passes over it and applies the rest.
    func testARejectedEventParksItsStreamAndASkipAppliesWhatFollows() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 1)
        var script = EventScript()
        let tenant = UUID()
        let id = UUID()
        let created = try script.create(id, tenant: tenant, ClientProfile(name: "Ada"))
        let unknown = StoredEvent(position: 2, envelope: EventEnvelope(
            type: "client.from_a_later_release", schemaVersion: 1, streamId: id, streamVersion: 2, tenantId: tenant,
            occurredAt: Date(), actor: script.actor, correlationId: "c-unknown", causationId: nil, data: Data("{}".utf8)))
        _ = try script.change(id, tenant: tenant, ClientProfileChanges())  // takes version 2 in the script
        let third = try script.change(id, tenant: tenant, ClientProfileChanges(notes: .set("after")))
        let other = try script.create(UUID(), tenant: tenant, ClientProfile(name: "Other"))
        let ends = try await fixture.produce([created, unknown, third, other])
        let runner = fixture.runner()
        try await fixture.catchUp(runner, to: ends)
        let search = ClientSearch(pool: fixture.pool)
        let value8 = try await search.version(of: id)
        XCTAssertEqual(value8, 1)
        let value9 = try await search.version(of: other.envelope.streamId)
        XCTAssertEqual(value9, 1)
        let parked = try await runner.quarantine().parked
        XCTAssertEqual(parked.map(\.firstVersion), [2])
        XCTAssertEqual(parked.map(\.lastVersion), [3])
        XCTAssertTrue(parked[0].reason.contains("cannot be read"), parked[0].reason)

        let skip = try await runner.skipParked(id, by: "tester")
        XCTAssertEqual(skip.passed.map(\.version), [2])
        XCTAssertEqual(skip.applied, 1)
        XCTAssertEqual(skip.version, 3)
        let found = try await search.client(id: id, tenantId: tenant)
        let record = try XCTUnwrap(found)
        XCTAssertEqual(record.profile.notes, "after")
        XCTAssertEqual(record.version, 3)
        await runner.close()
    }

    /// A failure that is no event's (here the read model's table is missing) is retried for
    /// as long as it lasts, and parks nothing; a failure of unknown cause in one stream's
    /// events parks that stream after `maxBatchAttempts` tries, and the rest applies.
    func testFailuresOfNoEventAreRetriedAndUnknownOnesParkOnlyAfterSeveralTries() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 1)
        var script = EventScript()
        let tenant = UUID()
        let suspect = UUID()
        let events = [try script.create(UUID(), tenant: tenant, ClientProfile(name: "One")),
                      try script.create(suspect, tenant: tenant, ClientProfile(name: "Suspect")),
                      try script.create(UUID(), tenant: tenant, ClientProfile(name: "Three"))]
        let ends = try await fixture.produce(events)
        let model = FailingReadModel(inner: ClientSearchProjection(), stream: suspect,
                                     failure: PostgresError(PostgresError.Code(.query, sqlState: "42P01"), "relation missing"))
        var configuration = ProjectionRunner.Configuration(projection: "search", target: .live, topic: fixture.topic,
                                                           partitionCount: fixture.partitions)
        configuration.pollTimeout = .milliseconds(100)
        configuration.maxBatchAttempts = 3
        let runner = ProjectionRunner(configuration: configuration, pool: fixture.pool, kafka: fixture.broker.configuration(),
                                      model: model,
                                      logger: ProjectionFixture.quietLogger, metrics: fixture.metrics)
        var failures = 0
        while failures < 8 {
            do { if try await runner.step() > 0 { XCTFail("a batch applied while the read model is broken") } } catch { failures += 1 }
        }
        let value10 = try await fixture.offsetsSum()
        XCTAssertEqual(value10, 0, "nothing moves while the failure is no event's")
        let value11 = try await runner.quarantine().parked
        XCTAssertEqual(value11, [])

        model.failure.withLock { $0 = CancellationError() }  // not a database error: unknown
        failures = 0
        while !runner.checkpoint.hasReached(ends) {
            do { try await runner.step() } catch { failures += 1 }
            XCTAssertLessThan(failures, 10)
        }
        XCTAssertEqual(failures, 2, "an unknown failure is tried maxBatchAttempts times before its stream is parked")
        let value12 = try await runner.quarantine().parked.map(\.streamId)
        XCTAssertEqual(value12, [suspect])
        let search = ClientSearch(pool: fixture.pool)
        let value13 = try await search.version(of: events[0].envelope.streamId)
        XCTAssertEqual(value13, 1)
        let value14 = try await search.version(of: events[2].envelope.streamId)
        XCTAssertEqual(value14, 1)
        let value15 = try await search.version(of: suspect)
        XCTAssertNil(value15)
        model.failure.withLock { $0 = nil }
        _ = try await runner.retryParked(suspect)
        let value16 = try await search.version(of: suspect)
        XCTAssertEqual(value16, 1)
        await runner.close()
    }

    /// A rebuild parks the same way, and its parked streams stay parked in the tables it swaps in.
    func testARebuildParksTheSameWayAndKeepsWhatItParked() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let tenant = UUID()
        let poisoned = UUID()
        var events = try script.population(clients: 200, tenant: tenant)
        events.append(try script.create(poisoned, tenant: tenant, ClientProfile(name: Self.combiningName)))
        events += try script.population(clients: 50, tenant: tenant)
        let ends = try await fixture.produce(events)
        let live = fixture.runner()
        try await fixture.catchUp(live, to: ends)
        // Release it by hand in the live model only, as if the operator had skipped it there:
        // the rebuild must park it again from the log.
        try await fixture.pool.execute("DELETE FROM projection_parked_events")
        let before = try await fixture.checksum()
        let rebuild = ProjectionRebuild(live: live, pool: fixture.pool, kafka: fixture.broker.configuration(),
                                        model: ClientSearchProjection(), logger: ProjectionFixture.quietLogger,
                                        metrics: fixture.metrics, batchSize: 1000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await live.run() }
            group.addTask { try await rebuild.run() }
            _ = try await rebuild.start()
            try await eventually("the rebuild swapped in", timeout: .seconds(60)) { try await rebuild.status().state == .done }
            group.cancelAll()
        }
        let parked = try await fixture.pool.query("SELECT projection, stream_id FROM projection_parked_events")
        XCTAssertEqual(try parked.map { try $0.decode(0, as: String.self) }, ["search"])
        XCTAssertEqual(try parked.map { try $0.decode(1, as: UUID.self) }, [poisoned])
        let value17 = try await fixture.checksum()
        XCTAssertEqual(value17, before, "the rebuilt read model equals the live one")
        try await live.step()
        XCTAssertEqual(live.parkedVersion(of: poisoned), 1, "the live runner reads the quarantine it was handed")
        await live.close()
    }

    /// The stats projection parks a client whose counted value (here its company) is longer
    /// than a key can hold, and counts every other client.
    func testTheStatsProjectionParksAValueItCannotCount() async throws {
        let log = try await ProjectionFixture.make(partitions: 1)
        let fixture = try await StatsFixture.make(on: log)
        var script = EventScript()
        let tenant = UUID()
        let poisoned = UUID()
        let events = [try script.create(UUID(), tenant: tenant, ClientProfile(name: "A", companyName: "Acme")),
                      try script.create(poisoned, tenant: tenant, ClientProfile(name: "B", companyName: Self.combiningName)),
                      try script.create(UUID(), tenant: tenant, ClientProfile(name: "C", companyName: "Acme"))]
        let ends = try await log.produce(events)
        let runner = fixture.runner()
        try await log.catchUp(runner, to: ends)
        XCTAssertEqual(runner.parkedVersion(of: poisoned), 1)
        let stats = try await fixture.stats(.tenants([tenant]), asOf: Date())
        XCTAssertEqual(stats.overview.totalClients, 2)
        let parked = try await runner.quarantine().parked
        XCTAssertEqual(parked.map(\.streamId), [poisoned])
        XCTAssertTrue(parked[0].reason.contains("23514"), parked[0].reason)
        await runner.close()
    }
}

/// A read model that fails every batch holding one stream's events with `failure` (while set).
final class FailingReadModel: ProjectionReadModel {
    let inner: any ProjectionReadModel
    let stream: UUID
    let failure: Mutex<(any Error)?>

    init(inner: any ProjectionReadModel, stream: UUID, failure: (any Error)?) {
        self.inner = inner
        self.stream = stream
        self.failure = Mutex(failure)
    }

    func apply(_ events: [StoredEvent], to target: ProjectionTarget, storing offsets: ProjectionOffsets.Pending?,
               on connection: PostgresConnection) throws -> (ProjectionApplyOutcome, storedOffsets: Bool) {
        if let error = failure.withLock({ $0 }), events.contains(where: { $0.envelope.streamId == stream }) { throw error }
        return try inner.apply(events, to: target, storing: offsets, on: connection)
    }

    func prepareShadow(on connection: PostgresConnection) throws { try inner.prepareShadow(on: connection) }
    func shadowCompletion(on connection: PostgresConnection) throws -> [String] { try inner.shadowCompletion(on: connection) }
    func promoteShadow(on connection: PostgresConnection) throws { try inner.promoteShadow(on: connection) }
    func passOver(streamId: UUID, version: Int64, in target: ProjectionTarget, on connection: PostgresConnection) throws {
        try inner.passOver(streamId: streamId, version: version, in: target, on: connection)
    }
}
