import ClientDomain
import Errors
import EventStore
import Foundation
import Postgres
import Synchronization
import TestSupport
import XCTest

/// Group commit of appends: concurrent creates share statements, with their claims and
/// idempotency records; each caller still gets its own answer, and a failed statement fails
/// its whole batch and writes nothing.
final class AppendBatcherTests: XCTestCase {
    /// Many concurrent creates all land once, each with its outbox entry and a distinct
    /// number, numbers increasing with positions, in fewer statements than creates.
    func testConcurrentCreatesLandOnceWithDistinctIncreasingNumbers() async throws {
        _ = try await createConcurrently { ClientProfile(name: "C\($0)") }
    }

    /// The same with an email claim each: the creates share batches too, each with its claim.
    /// (Before, each took a transaction of its own and drew its number alone.)
    func testConcurrentCreatesTakingClaimsShareBatches() async throws {
        let (fixture, ids) = try await createConcurrently { ClientProfile(name: "C\($0)", email: "c\($0)@example.com") }
        for (index, id) in ids.enumerated() {
            let holder = try await fixture.store.claimHolder(kind: "email", value: "c\(index)@example.com", tenantId: fixture.tenant)
            XCTAssertEqual(holder, id)
        }
    }

    /// Creates 120 clients concurrently, the nth with `profile(n)`, and checks they all
    /// landed once, with their outbox entries and distinct numbers increasing with positions,
    /// in fewer number draws than creates; returns the fixture and the ids, in order.
    private func createConcurrently(_ profile: @escaping @Sendable (Int) -> ClientProfile,
                                    file: StaticString = #filePath, line: UInt = #line) async throws -> (EventStoreFixture, [UUID]) {
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
                    try await handler.handle(.create(CreateClient(clientId: id, tenantId: fixture.tenant, profile: profile(index))),
                                             metadata: fixture.metadata)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(Set(outcomes.compactMap { $0.client?.id }), Set(ids), file: file, line: line)
        let rows = try await fixture.pool.query("""
            SELECT e.stream_id, (e.data->>'number')::bigint, o.position IS NOT NULL
            FROM events e LEFT JOIN outbox o ON o.position = e.position ORDER BY e.position
            """)
        XCTAssertEqual(rows.count, count, file: file, line: line)
        let stored = try rows.map { (try $0.decode(0, as: UUID.self), try $0.decode(1, as: Int64.self), try $0.decode(2, as: Bool.self)) }
        XCTAssertEqual(Set(stored.map(\.0)), Set(ids), file: file, line: line)
        XCTAssertTrue(stored.allSatisfy(\.2), "every event has its outbox entry", file: file, line: line)
        XCTAssertEqual(stored.map(\.1), Array(1...Int64(count)), "numbers distinct and increasing with positions", file: file, line: line)
        for outcome in outcomes {
            let client = try XCTUnwrap(outcome.client, file: file, line: line)
            XCTAssertEqual(stored.first { $0.0 == client.id }?.1, client.number, file: file, line: line)
            XCTAssertEqual(outcome.events.count, 1, file: file, line: line)
        }
        XCTAssertLessThan(numbers.calls, count, "concurrent creates were written in batches", file: file, line: line)
        return (fixture, ids)
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
        async let slow = fixture.store.append(Self.request(streamId: UUID(), tenant: fixture.tenant, holdingAt: writing))
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
        async let slow = fixture.store.append(Self.request(streamId: UUID(), tenant: fixture.tenant, holdingAt: writing))
        try await eventually("the first batch is being written") { writing.arrivals == 1 }
        let good = (0..<10).map { _ in UUID() }
        let bad = UUID()
        let results = try await withThrowingTaskGroup(of: (UUID, Result<AppendBatcher.Appended, any Error>).self) { group in
            for id in good + [bad] {
                group.addTask {
                    let request = id == bad ? Self.request(streamId: id, tenant: fixture.tenant, data: #"{"name":"a\u0000b"}"#)
                        : Self.request(streamId: id, tenant: fixture.tenant)
                    do { return (id, .success(try await fixture.store.append(request))) } catch { return (id, .failure(error)) }
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
        for id in good { XCTAssertNotNil(try results[id]?.get().events.first?.position, "a good member of the bad one's batch commits") }
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
        async let slow = fixture.store.append(Self.request(streamId: UUID(), tenant: fixture.tenant, holdingAt: writing))
        try await eventually("the first batch is being written") { writing.arrivals == 1 }
        // Queued one after the other, in this order, behind the held batch.
        async let v1 = fixture.store.append(Self.request(streamId: stream, tenant: fixture.tenant, version: 1))
        try await eventually("v1 queued") { batcher.queued == 1 }
        async let v2 = fixture.store.append(Self.request(streamId: stream, tenant: fixture.tenant, version: 2))
        try await eventually("v2 queued") { batcher.queued == 2 }
        async let o1 = fixture.store.append(Self.request(streamId: other, tenant: fixture.tenant, version: 1))
        try await eventually("o1 queued") { batcher.queued == 3 }
        writing.open()
        let (first, second, third, _) = try await (v1, v2, o1, slow)
        XCTAssertLessThan(first.events[0].position, second.events[0].position)
        XCTAssertLessThan(third.events[0].position, second.events[0].position, "the second append to a stream waits for the next batch")
        let stored = try await fixture.store.load(streamId: stream)
        XCTAssertEqual(stored.map(\.streamVersion), [1, 2])
    }

    // MARK: Claims, idempotency records and statements alongside: in the same batches

    /// In one batch: a member taking a claim another stream holds, a member whose key was
    /// recorded before, two members taking one claim, two members recording one key. Each
    /// refused member gets its own answer and nothing of it stays (no event, no claim, no
    /// record); the others commit with their claims and records.
    func testRefusedMembersOfABatchWriteNothingAndTheRestCommit() async throws {
        let fixture = try await EventStoreFixture.make()
        let tenant = fixture.tenant
        _ = try await fixture.store.append(Self.request(streamId: UUID(), tenant: tenant, claiming: [Self.email("held")]))
        _ = try await fixture.store.append(Self.request(streamId: UUID(), tenant: tenant, count: 0, record: Self.record("used")))
        let good = (0..<6).map { _ in UUID() }
        let takesHeld = UUID(), reusesKey = UUID()
        let sharingClaim = [UUID(), UUID()], sharingKey = [UUID(), UUID()]
        var requests = good.enumerated().map { index, id in
            Self.request(streamId: id, tenant: tenant, claiming: [Self.email("g\(index)")], record: Self.record("k\(index)"))
        }
        requests.append(Self.request(streamId: takesHeld, tenant: tenant, claiming: [Self.email("held"), Self.email("free")]))
        requests.append(Self.request(streamId: reusesKey, tenant: tenant, claiming: [Self.email("r")], record: Self.record("used")))
        requests += sharingClaim.map { Self.request(streamId: $0, tenant: tenant, claiming: [Self.email("both")]) }
        requests += sharingKey.map { Self.request(streamId: $0, tenant: tenant, record: Self.record("once")) }
        let pool = fixture.pool
        let results = try await Self.inOneBatch(fixture, requests) { stream, result in
            // A caller refused for a key is answered once the record that refused it committed.
            guard Self.conflict(result) == .idempotencyKeyTaken else { return }
            let key = stream == reusesKey ? "used" : "once"
            let recorded = try await pool.query("SELECT 1 FROM idempotency_keys WHERE scope = 'test' AND key = $1", [key])
            XCTAssertEqual(recorded.count, 1, "the record that refused \(key) is visible")
        }

        XCTAssertEqual(Self.conflict(results[takesHeld]), .claimTaken(kind: "email"))
        XCTAssertEqual(Self.conflict(results[reusesKey]), .idempotencyKeyTaken)
        XCTAssertEqual(sharingClaim.filter { Self.conflict(results[$0]) == .claimTaken(kind: "email") }.count, 1)
        XCTAssertEqual(sharingKey.filter { Self.conflict(results[$0]) == .idempotencyKeyTaken }.count, 1)
        let landed = good + (sharingClaim + sharingKey).filter { (try? results[$0]?.get()) != nil }
        XCTAssertEqual(landed.count, 8)
        for id in landed { XCTAssertEqual(try results[id]?.get().events.count, 1) }
        for id in [takesHeld, reusesKey] + (sharingClaim + sharingKey).filter({ !landed.contains($0) }) {
            let stream = try await fixture.store.load(streamId: id)
            XCTAssertEqual(stream, [], "nothing of a refused member stays")
        }
        for claim in ["free", "r"] {
            let holder = try await fixture.store.claimHolder(kind: "email", value: claim, tenantId: tenant)
            XCTAssertNil(holder, "a refused member's other claims were rolled back")
        }
        for (index, id) in good.enumerated() {
            let holder = try await fixture.store.claimHolder(kind: "email", value: "g\(index)", tenantId: tenant)
            XCTAssertEqual(holder, id)
        }
        let both = try await fixture.store.claimHolder(kind: "email", value: "both", tenantId: tenant)
        XCTAssertTrue(sharingClaim.contains { $0 == both } && landed.contains { $0 == both })
        let counts = try await fixture.pool.query("""
            SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM outbox), (SELECT count(*) FROM idempotency_keys),
                   (SELECT response::text FROM idempotency_keys WHERE key = 'k3')
            """)
        XCTAssertEqual(try counts[0].decode(0, as: Int.self), 2 + 8, "the two written first, the held batch's and the eight")
        XCTAssertEqual(try counts[0].decode(1, as: Int.self), 2 + 8)
        XCTAssertEqual(try counts[0].decode(2, as: Int.self), 1 + 6 + 1)
        XCTAssertEqual(try counts[0].decode(3, as: String.self), #"{"answer": "k3"}"#)
    }

    /// Members touching one claim value are written one after the other, in arrival order: a
    /// stream moving its email away and another taking that email, in one batch, both land.
    func testAClaimReleasedInABatchIsTakenInTheSameBatch() async throws {
        let fixture = try await EventStoreFixture.make()
        let mover = UUID(), taker = UUID()
        _ = try await fixture.store.append(Self.request(streamId: mover, tenant: fixture.tenant, claiming: [Self.email("old")]))
        let writing = BlockingGate()
        let batcher = fixture.store.batcher
        async let slow = fixture.store.append(Self.request(streamId: UUID(), tenant: fixture.tenant, holdingAt: writing))
        try await eventually("the first batch is being written") { writing.arrivals == 1 }
        async let moved = fixture.store.append(Self.request(streamId: mover, tenant: fixture.tenant, version: 2,
                                                            claiming: [Self.email("new")], releasing: [Self.email("old")]))
        try await eventually("the move queued") { batcher.queued == 1 }
        async let took = fixture.store.append(Self.request(streamId: taker, tenant: fixture.tenant, claiming: [Self.email("old")]))
        try await eventually("the take queued") { batcher.queued == 2 }
        writing.open()
        let (move, take, _) = try await (moved, took, slow)
        XCTAssertLessThan(move.events[0].position, take.events[0].position)
        let old = try await fixture.store.claimHolder(kind: "email", value: "old", tenantId: fixture.tenant)
        let new = try await fixture.store.claimHolder(kind: "email", value: "new", tenantId: fixture.tenant)
        XCTAssertEqual(old, taker)
        XCTAssertEqual(new, mover)
    }

    /// A member whose event the store refuses, among members taking claims and recording
    /// keys, fails alone: the others commit with their claims and records, and the bad one's
    /// claim is not taken.
    func testABadMemberAmongMembersWithClaimsFailsAlone() async throws {
        let fixture = try await EventStoreFixture.make()
        let good = (0..<5).map { _ in UUID() }
        let bad = UUID()
        var requests = good.enumerated().map { index, id in
            Self.request(streamId: id, tenant: fixture.tenant, claiming: [Self.email("g\(index)")], record: Self.record("k\(index)"))
        }
        requests.append(Self.request(streamId: bad, tenant: fixture.tenant, data: #"{"name":"a\u0000b"}"#,
                                     claiming: [Self.email("bad")], record: Self.record("bad")))
        let results = try await Self.inOneBatch(fixture, requests)
        XCTAssertThrowsError(try results[bad]?.get()) { error in
            XCTAssertTrue((error as? PostgresError)?.isDataError ?? false, "\(error)")
        }
        for id in good { XCTAssertEqual(try results[id]?.get().events.count, 1) }
        let holder = try await fixture.store.claimHolder(kind: "email", value: "bad", tenantId: fixture.tenant)
        XCTAssertNil(holder)
        let counts = try await fixture.pool.query("""
            SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM unique_claims), (SELECT count(*) FROM idempotency_keys)
            """)
        XCTAssertEqual(try counts[0].decode(0, as: Int.self), 6, "the held batch's event and the five")
        XCTAssertEqual(try counts[0].decode(1, as: Int.self), 5)
        XCTAssertEqual(try counts[0].decode(2, as: Int.self), 5)
    }

    /// An append of several events lands whole or not at all: when its first version is
    /// taken, none of its events stays, though the later versions were free.
    func testAnAppendOfSeveralEventsLandsWholeOrNotAtAll() async throws {
        let fixture = try await EventStoreFixture.make()
        let stream = UUID()
        let first = try await fixture.store.append(Self.request(streamId: stream, tenant: fixture.tenant))
        do {
            _ = try await fixture.store.append(Self.request(streamId: stream, tenant: fixture.tenant, version: 1, count: 3))
            XCTFail("expected streamChanged")
        } catch PostgresEventStore.AppendConflict.streamChanged {}
        let stored = try await fixture.store.load(streamId: stream)
        XCTAssertEqual(stored.map(\.eventId), first.events.map(\.envelope.eventId))
        let next = try await fixture.store.append(Self.request(streamId: stream, tenant: fixture.tenant, version: 2, count: 3))
        XCTAssertEqual(next.events.map(\.envelope.streamVersion), [2, 3, 4])
        XCTAssertEqual(next.events.map(\.position), next.events.map(\.position).sorted())
        let reloaded = try await fixture.store.load(streamId: stream)
        XCTAssertEqual(reloaded.map(\.streamVersion), [1, 2, 3, 4])
        let outbox = try await fixture.pool.query("SELECT count(*) FROM outbox")
        XCTAssertEqual(try outbox[0].decode(0, as: Int.self), 4)
    }

    /// An append of `count` events to `streamId` from `version` on (none: `record` alone),
    /// moving claims and recording `record` as given; with `gate`, the batch's connection is
    /// held while it is made, until the gate opens.
    private static func request(streamId: UUID, tenant: UUID, version: Int64 = 1, holdingAt gate: BlockingGate? = nil,
                                data: String = #"{"quote":"\"a,b\" {NULL}"}"#, count: Int = 1,
                                claiming: Set<UniqueClaim> = [], releasing: Set<UniqueClaim> = [],
                                record: IdempotencyRecord? = nil) -> AppendBatcher.Request {
        AppendBatcher.Request(streamId: streamId, numbers: nil) { _ in
            try gate?.pass()
            let events = (0..<Int64(count)).map { offset in
                EventEnvelope(type: "TestEvent", schemaVersion: 1, streamId: streamId, streamVersion: version + offset, tenantId: tenant,
                              occurredAt: Date(), actor: Actor(kind: .user, id: "u1"), correlationId: "c", causationId: nil,
                              data: Data(data.utf8))
            }
            return AppendBatcher.Writes(events: events, claiming: claiming, releasing: releasing,
                                        alongside: AppendBatcher.Alongside(idempotency: record))
        }
    }

    private static func email(_ value: String) -> UniqueClaim { UniqueClaim(kind: "email", value: value) }

    private static func record(_ key: String) -> IdempotencyRecord {
        IdempotencyRecord(scope: "test", key: key, requestHash: "h-\(key)", response: #"{"answer":"\#(key)"}"#)
    }

    /// Runs `requests` concurrently while a held batch is being written, so they queue into
    /// the next batch together (in no particular order); their answers by stream.
    private static func inOneBatch(_ fixture: EventStoreFixture, _ requests: [AppendBatcher.Request],
                                   checking check: @escaping @Sendable (UUID, Result<AppendBatcher.Appended, any Error>) async throws -> Void
                                       = { _, _ in }) async throws -> [UUID: Result<AppendBatcher.Appended, any Error>] {
        let writing = BlockingGate()
        async let slow = fixture.store.append(request(streamId: UUID(), tenant: fixture.tenant, holdingAt: writing))
        try await eventually("the first batch is being written") { writing.arrivals == 1 }
        let results = try await withThrowingTaskGroup(of: (UUID, Result<AppendBatcher.Appended, any Error>).self) { group in
            for request in requests {
                group.addTask {
                    let result: Result<AppendBatcher.Appended, any Error>
                    do { result = .success(try await fixture.store.append(request)) } catch { result = .failure(error) }
                    try await check(request.streamId, result)
                    return (request.streamId, result)
                }
            }
            try await eventually("the appends queued into one batch") { fixture.store.batcher.queued == requests.count }
            writing.open()
            return try await group.reduce(into: [UUID: Result<AppendBatcher.Appended, any Error>]()) { $0[$1.0] = $1.1 }
        }
        _ = try await slow
        return results
    }

    private static func conflict(_ result: Result<AppendBatcher.Appended, any Error>?) -> PostgresEventStore.AppendConflict? {
        guard case .failure(let error)? = result else { return nil }
        return error as? PostgresEventStore.AppendConflict
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
