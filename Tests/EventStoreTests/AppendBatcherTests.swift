import ClientDomain
import Errors
import EventStore
import Foundation
import Postgres
import Synchronization
import TestSupport
import XCTest

/// Group commit of plain appends: concurrent creates share statements, each caller still
/// gets its own answer, and a failed statement fails its whole batch and writes nothing.
final class AppendBatcherTests: XCTestCase {
    /// Many concurrent creates all land once, each with its outbox entry and a distinct
    /// number, numbers increasing with positions, in fewer statements than creates.
    func testConcurrentCreatesLandOnceWithDistinctIncreasingNumbers() async throws {
        let fixture = try await EventStoreFixture.make()
        try await fixture.pool.execute("CREATE SEQUENCE test_numbers")
        let numbers = CountingNumbers()
        let handler = {
            var handler = fixture.handler
            handler.numbers = numbers
            return handler
        }()
        let count = 120
        let ids = (0..<count).map { _ in UUID() }
        let outcomes = try await withThrowingTaskGroup(of: CommandOutcome.self) { group -> [CommandOutcome] in
            for (index, id) in ids.enumerated() {
                group.addTask {
                    try await handler.handle(.create(CreateClient(clientId: id, tenantId: fixture.tenant,
                                                                  profile: ClientProfile(name: "C\(index)"))), metadata: fixture.metadata)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(Set(outcomes.compactMap { $0.client?.id }), Set(ids))
        let rows = try await fixture.pool.query("""
            SELECT e.stream_id, (e.data->>'number')::bigint, o.position IS NOT NULL
            FROM events e LEFT JOIN outbox o ON o.position = e.position ORDER BY e.position
            """)
        XCTAssertEqual(rows.count, count)
        let stored = try rows.map { (try $0.decode(0, as: UUID.self), try $0.decode(1, as: Int64.self), try $0.decode(2, as: Bool.self)) }
        XCTAssertEqual(Set(stored.map(\.0)), Set(ids))
        XCTAssertTrue(stored.allSatisfy(\.2), "every event has its outbox entry")
        XCTAssertEqual(stored.map(\.1), Array(1...Int64(count)), "numbers distinct and increasing with positions")
        for outcome in outcomes {
            let client = try XCTUnwrap(outcome.client)
            XCTAssertEqual(stored.first { $0.0 == client.id }?.1, client.number)
            XCTAssertEqual(outcome.events.count, 1)
        }
        XCTAssertLessThan(numbers.calls, count, "concurrent creates were written in batches")
    }

    /// A create of an existing id in a batch gets the handler's "already exists" answer;
    /// the other creates of that batch land.
    func testAnExistingIdInABatchConflictsAloneAndTheOthersLand() async throws {
        let fixture = try await EventStoreFixture.make()
        let existing = UUID()
        _ = try await fixture.create(ClientProfile(name: "First"), id: existing)
        let fresh = (0..<10).map { _ in UUID() }
        // An append held at a gate keeps the batcher writing, so the creates below queue into
        // one batch; the gate opens once all of them have queued.
        let writing = BlockingGate()
        async let slow = fixture.store.appendBatched(Self.request(streamId: UUID(), tenant: fixture.tenant, holdingAt: writing))
        try await eventually("the first batch is being written") { writing.arrivals == 1 }
        let results = try await withThrowingTaskGroup(of: (UUID, Result<CommandOutcome, any Error>).self) { group in
            for id in [existing] + fresh {
                group.addTask {
                    do { return (id, .success(try await fixture.create(ClientProfile(name: "New"), id: id))) } catch { return (id, .failure(error)) }
                }
            }
            try await eventually("the eleven creates queued") { fixture.store.batcher.queued == 11 }
            writing.open()
            return try await group.reduce(into: [UUID: Result<CommandOutcome, any Error>]()) { $0[$1.0] = $1.1 }
        }
        _ = try await slow
        XCTAssertThrowsError(try results[existing]?.get()) { error in
            XCTAssertEqual((error as? ClienteleError)?.code, .conflict)
            XCTAssertEqual((error as? ClienteleError)?.message, "A client with this id already exists")
        }
        for id in fresh {
            XCTAssertEqual(try results[id]?.get().client?.id, id)
            let stream = try await fixture.store.load(streamId: id)
            XCTAssertEqual(stream.map(\.streamVersion), [1])
        }
        let existingStream = try await fixture.store.load(streamId: existing)
        XCTAssertEqual(existingStream.count, 1)
        XCTAssertEqual(try existingStream[0].decodedName(), "First")
        let counts = try await fixture.pool.query("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox)")
        XCTAssertEqual(try counts[0].decode(0, as: Int.self), 12)
        XCTAssertEqual(try counts[0].decode(1, as: Int.self), 12)
    }

    /// A batch whose statement fails (its backend terminated) fails every caller in it, and
    /// nothing of it is written; the next creates land.
    func testABatchWhoseStatementFailsFailsItsCallersAndWritesNothing() async throws {
        let fixture = try await EventStoreFixture.make()
        // Another transaction locks the events table (until the gate opens), so batches block
        // in their insert.
        let locked = BlockingGate()
        async let locker: Void = fixture.pool.withTransaction { connection in
            try connection.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            try locked.pass()
        }
        try await eventually("the events table is locked") { locked.arrivals == 1 }
        let first = Task { try await fixture.create(ClientProfile(name: "A")) }
        let leader = try await Self.lockWaiter(fixture.pool, excluding: [])
        let queued = (0..<5).map { index in Task { try await fixture.create(ClientProfile(name: "Q\(index)")) } }
        try await eventually("the five creates queued behind the blocked batch") { fixture.store.batcher.queued == 5 }
        try await fixture.pool.execute("SELECT pg_terminate_backend($1)", [leader])
        let firstResult = await first.result
        XCTAssertThrowsError(try firstResult.get())
        // The five queued creates are now one batch, blocked on the lock in turn.
        let batch = try await Self.lockWaiter(fixture.pool, excluding: [leader])
        try await fixture.pool.execute("SELECT pg_terminate_backend($1)", [batch])
        for task in queued {
            let result = await task.result
            XCTAssertThrowsError(try result.get(), "a caller of the failed batch")
        }
        locked.open()
        try await locker
        let counts = try await fixture.pool.query("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox)")
        XCTAssertEqual(try counts[0].decode(0, as: Int.self), 0)
        XCTAssertEqual(try counts[0].decode(1, as: Int.self), 0)
        let after = try await fixture.create(ClientProfile(name: "After"))
        XCTAssertEqual(after.events.count, 1)
    }

    /// One member whose event the store refuses (a NUL, which `jsonb` rejects) gets its own
    /// error; the other members of its batch commit. Before, the shared statement failed and
    /// every caller of the batch (other companies' creates among them) got the error.
    func testABadMemberOfABatchFailsAloneAndTheRestCommit() async throws {
        let fixture = try await EventStoreFixture.make()
        let writing = BlockingGate()
        async let slow = fixture.store.appendBatched(Self.request(streamId: UUID(), tenant: fixture.tenant, holdingAt: writing))
        try await eventually("the first batch is being written") { writing.arrivals == 1 }
        let good = (0..<10).map { _ in UUID() }
        let bad = UUID()
        let results = try await withThrowingTaskGroup(of: (UUID, Result<AppendBatcher.Appended, any Error>).self) { group in
            for id in good + [bad] {
                group.addTask {
                    let request = id == bad ? Self.request(streamId: id, tenant: fixture.tenant, data: #"{"name":"a\u0000b"}"#)
                        : Self.request(streamId: id, tenant: fixture.tenant)
                    do { return (id, .success(try await fixture.store.appendBatched(request))) } catch { return (id, .failure(error)) }
                }
            }
            try await eventually("the eleven appends queued into one batch") { fixture.store.batcher.queued == 11 }
            writing.open()
            return try await group.reduce(into: [UUID: Result<AppendBatcher.Appended, any Error>]()) { $0[$1.0] = $1.1 }
        }
        _ = try await slow
        XCTAssertThrowsError(try results[bad]?.get()) { error in
            XCTAssertTrue((error as? PostgresError)?.isDataError ?? false, "\(error)")
        }
        for id in good { XCTAssertNotNil(try results[id]?.get().position, "a good member of the bad one's batch commits") }
        let counts = try await fixture.pool.query("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox)")
        XCTAssertEqual(try counts[0].decode(0, as: Int.self), 11)
        XCTAssertEqual(try counts[0].decode(1, as: Int.self), 11)
    }

    /// Appends to one stream queued behind a batch land in order, in separate batches.
    func testAppendsToOneStreamKeepTheirOrder() async throws {
        let fixture = try await EventStoreFixture.make()
        let stream = UUID()
        let other = UUID()
        let writing = BlockingGate()
        let batcher = fixture.store.batcher
        async let slow = fixture.store.appendBatched(Self.request(streamId: UUID(), tenant: fixture.tenant, holdingAt: writing))
        try await eventually("the first batch is being written") { writing.arrivals == 1 }
        // Queued one after the other, in this order, behind the held batch.
        async let v1 = fixture.store.appendBatched(Self.request(streamId: stream, tenant: fixture.tenant, version: 1))
        try await eventually("v1 queued") { batcher.queued == 1 }
        async let v2 = fixture.store.appendBatched(Self.request(streamId: stream, tenant: fixture.tenant, version: 2))
        try await eventually("v2 queued") { batcher.queued == 2 }
        async let o1 = fixture.store.appendBatched(Self.request(streamId: other, tenant: fixture.tenant, version: 1))
        try await eventually("o1 queued") { batcher.queued == 3 }
        writing.open()
        let (first, second, third, _) = try await (v1, v2, o1, slow)
        XCTAssertLessThan(first.position, second.position)
        XCTAssertLessThan(third.position, second.position, "the second append to a stream waits for the next batch")
        let stored = try await fixture.store.load(streamId: stream)
        XCTAssertEqual(stored.map(\.streamVersion), [1, 2])
    }

    /// A plain append of an event to `streamId`; with `gate`, the batch's connection is held
    /// while it is made, until the gate opens.
    private static func request(streamId: UUID, tenant: UUID, version: Int64 = 1, holdingAt gate: BlockingGate? = nil,
                                data: String = #"{"quote":"\"a,b\" {NULL}"}"#) -> AppendBatcher.Request {
        AppendBatcher.Request(streamId: streamId, numbers: nil) { _ in
            try gate?.pass()
            return EventEnvelope(type: "TestEvent", schemaVersion: 1, streamId: streamId, streamVersion: version, tenantId: tenant,
                                 occurredAt: Date(), actor: Actor(kind: .user, id: "u1"), correlationId: "c", causationId: nil,
                                 data: Data(data.utf8))
        }
    }

    /// Waits for a backend (not in `excluding`) blocked on a lock; returns its pid.
    private static func lockWaiter(_ pool: PostgresPool, excluding: [Int32]) async throws -> Int32 {
        try await eventuallyValue("a backend waits for the lock") {
            let waiting = try await pool.query("""
                SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                """).map { try $0.decode(0, as: Int32.self) }
            return waiting.first(where: { !excluding.contains($0) })
        }
    }
}

/// Numbers from `test_numbers`, counting the batch draws.
private final class CountingNumbers: ClientNumberSource {
    private let draws = Mutex(0)
    var calls: Int { draws.withLock { $0 } }

    func next(on connection: PostgresConnection) throws -> Int64 {
        try next(1, on: connection)[0]
    }

    func next(_ count: Int, on connection: PostgresConnection) throws -> [Int64] {
        draws.withLock { $0 += 1 }
        return try connection.query("SELECT nextval('test_numbers') FROM generate_series(1, $1) ORDER BY 1", [count])
            .map { try $0.decode(0, as: Int64.self) }
    }
}

private extension EventEnvelope {
    func decodedName() throws -> String? {
        guard case .created(let created) = try ClientEvent.decode(self) else { return nil }
        return created.profile.name
    }
}
