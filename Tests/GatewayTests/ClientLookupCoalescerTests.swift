import ClientDomain
import Errors
import Foundation
import InternalAPI
import Synchronization
import TestSupport
import XCTest
@testable import Gateway

/// How the gateway gathers the single-client lookups of one event-loop pass into batch
/// requests: the state machine alone, then the coalescer driven by a fake loop (no sockets).
final class ClientLookupCoalescerTests: XCTestCase {
    private final class FakeLoopIdentity: Sendable {}

    private static func record(_ id: UUID, tenant: UUID) -> ClientRecord {
        ClientRecord(id: id, tenantId: tenant, profile: ClientProfile(name: "Client \(id.uuidString.prefix(4))"), version: 1,
                     createdAt: Date(timeIntervalSince1970: 1_700_000_000), updatedAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    // MARK: The state machine

    func testLookupsOfOneLoopJoinOneBatchUntilItIsTaken() {
        // Both kept alive: a freed object's identifier may be reused for the next one.
        let loopA = FakeLoopIdentity(), loopB = FakeLoopIdentity()
        let a = ObjectIdentifier(loopA), b = ObjectIdentifier(loopB)
        defer { withExtendedLifetime((loopA, loopB)) {} }
        var batches = LookupBatches<Int>(limit: 128)
        let lookups = (0..<3).map { _ in TenantClientId(id: UUID(), tenantId: UUID()) }
        XCTAssertTrue(batches.add(lookups[0], waiter: 0, on: a), "the first lookup opens the batch")
        XCTAssertFalse(batches.add(lookups[1], waiter: 1, on: a))
        XCTAssertTrue(batches.add(lookups[2], waiter: 2, on: b), "each loop has its own batch")
        XCTAssertEqual(batches.count(on: a), 2)

        let taken = batches.take(on: a)
        XCTAssertEqual(taken.map { $0.map(\.waiter) }, [[0, 1]])
        XCTAssertEqual(taken[0].map(\.lookup), Array(lookups[0...1]))
        XCTAssertEqual(batches.take(on: a).count, 0, "taken once")
        XCTAssertEqual(batches.count(on: b), 1, "another loop's batch is left alone")
        XCTAssertTrue(batches.add(lookups[0], waiter: 3, on: a), "after a flush the next lookup opens a new batch")
    }

    func testABatchIsSplitInOrderAtTheLimit() {
        let identity = FakeLoopIdentity()
        let loop = ObjectIdentifier(identity)
        defer { withExtendedLifetime(identity) {} }
        var batches = LookupBatches<Int>(limit: 2)
        for waiter in 0..<5 { _ = batches.add(TenantClientId(id: UUID(), tenantId: UUID()), waiter: waiter, on: loop) }
        XCTAssertEqual(batches.take(on: loop).map { $0.map(\.waiter) }, [[0, 1], [2, 3], [4]])
    }

    func testOutcomesFollowTheLookupsAndNeverShowAnotherTenantsClient() throws {
        let tenant = UUID(), other = UUID()
        let ids = (0..<4).map { _ in UUID() }
        let lookups = ids.map { TenantClientId(id: $0, tenantId: tenant) }
        let answer: [ClientRecord?] = [Self.record(ids[0], tenant: tenant), nil,
                                       Self.record(ids[2], tenant: other),   // another tenant's: never shown
                                       Self.record(UUID(), tenant: tenant)]  // another client: never shown
        let outcomes = LookupBatches<Int>.outcomes(for: lookups, answer: .success(answer))
        XCTAssertEqual(try outcomes.map { try $0.get() }, [answer[0], nil, nil, nil])
    }

    func testNumberOutcomesShowTheNumberedClientInTheAskedTenantOrAny() throws {
        let tenant = UUID(), other = UUID()
        var mine = Self.record(UUID(), tenant: tenant)
        mine.number = 7
        var theirs = Self.record(UUID(), tenant: other)
        theirs.number = 8
        let lookups = [TenantClientId(number: 7, tenantId: tenant), TenantClientId(number: 8, tenantId: tenant),
                       TenantClientId(number: 8, tenantId: nil), TenantClientId(number: 9, tenantId: nil)]
        let answer: [ClientRecord?] = [mine, theirs,   // another tenant's, asked within this one: never shown
                                       theirs, mine]   // another number: never shown
        let outcomes = LookupBatches<Int>.outcomes(for: lookups, answer: .success(answer))
        XCTAssertEqual(try outcomes.map { try $0.get() }, [mine, nil, theirs, nil])
    }

    func testAFailedOrMismatchedAnswerFailsEveryLookup() {
        let lookups = (0..<3).map { _ in TenantClientId(id: UUID(), tenantId: UUID()) }
        let failed = LookupBatches<Int>.outcomes(for: lookups, answer: .failure(ClienteleError(.unavailable, "Upstream unavailable")))
        XCTAssertEqual(failed.map { Self.code($0) }, [.unavailable, .unavailable, .unavailable])
        let short = LookupBatches<Int>.outcomes(for: lookups, answer: .success([nil]))
        XCTAssertEqual(short.map { Self.code($0) }, [.internal, .internal, .internal])
    }

    private static func code(_ outcome: Result<ClientRecord?, any Error>) -> ClienteleError.Code? {
        guard case .failure(let error) = outcome else { return nil }
        return (error as? ClienteleError)?.code
    }

    // MARK: The coalescer on a fake loop

    /// A loop that only queues the flushes it is asked for, run when the test says.
    private final class FakePass: Sendable {
        let identity = FakeLoopIdentity()
        let onLoop: Bool
        let running: Bool
        private let jobs = Mutex<[@Sendable () -> Void]>([])

        init(onLoop: Bool = true, running: Bool = true) {
            self.onLoop = onLoop
            self.running = running
        }

        var loop: ObjectIdentifier { ObjectIdentifier(identity) }
        var queued: Int { jobs.withLock { $0.count } }

        var pass: ClientLookupCoalescer.Pass {
            ClientLookupCoalescer.Pass(currentLoop: { [self] in onLoop ? loop : nil },
                                       afterQueuedJobs: { [self] job in
                                           guard running else { return false }
                                           jobs.withLock { $0.append(job) }
                                           return true
                                       })
        }

        func runQueued() {
            for job in jobs.withLock({ jobs in defer { jobs = [] }; return jobs }) { job() }
        }
    }

    /// The projection's side: the records it holds and every batch it was sent.
    private final class FakeProjection: Sendable {
        let records: [UUID: ClientRecord]
        let failure: ClienteleError?
        private let sent = Mutex<[[TenantClientId]]>([])

        init(records: [ClientRecord], failure: ClienteleError? = nil) {
            self.records = Dictionary(uniqueKeysWithValues: records.map { ($0.id, $0) })
            self.failure = failure
        }

        var batches: [[TenantClientId]] { sent.withLock { $0 } }

        func send(_ lookups: [TenantClientId]) throws -> [ClientRecord?] {
            sent.withLock { $0.append(lookups) }
            if let failure { throw failure }
            return lookups.map { lookup in records.values.first(where: lookup.matches) }
        }
    }

    private func coalescer(_ fake: FakePass, _ projection: FakeProjection, limit: Int = 128,
                           passes: Int = 1) -> ClientLookupCoalescer {
        ClientLookupCoalescer(limit: limit, pass: fake.pass, passes: passes) { lookups in try projection.send(lookups) }
    }

    /// Starts one lookup per entry of `lookups` concurrently, waits until all have joined the
    /// pass's batch, runs the flush, and returns each lookup's outcome in `lookups` order.
    private func lookUpInOnePass(_ lookups: [TenantClientId], on fake: FakePass,
                                 _ coalescer: ClientLookupCoalescer) async throws -> [Result<ClientRecord?, any Error>] {
        try await withThrowingTaskGroup(of: (Int, Result<ClientRecord?, any Error>).self) { group in
            for (index, lookup) in lookups.enumerated() {
                group.addTask {
                    do { return (index, .success(try await coalescer.client(lookup))) }
                    catch { return (index, .failure(error)) }
                }
            }
            try await eventually("all \(lookups.count) lookups joined the pass's batch") {
                coalescer.pendingCount(on: fake.loop) >= lookups.count
            }
            XCTAssertEqual(fake.queued, 1, "one flush per pass")
            fake.runQueued()
            var outcomes = [Result<ClientRecord?, any Error>?](repeating: nil, count: lookups.count)
            for try await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes.map { $0! }
        }
    }

    func testTheLookupsOfAPassGoAsOneRequestAndEachGetsItsOwnAnswer() async throws {
        let tenantA = UUID(), tenantB = UUID()
        let records = (0..<6).map { Self.record(UUID(), tenant: $0 % 2 == 0 ? tenantA : tenantB) }
        let projection = FakeProjection(records: records)
        let fake = FakePass()
        let coalescer = coalescer(fake, projection)
        // Each tenant's own clients, one asked for through the other tenant, and an unknown id.
        var lookups = records.map { TenantClientId(id: $0.id, tenantId: $0.tenantId) }
        lookups.append(TenantClientId(id: records[0].id, tenantId: tenantB))
        lookups.append(TenantClientId(id: UUID(), tenantId: tenantA))
        let outcomes = try await lookUpInOnePass(lookups, on: fake, coalescer)
        XCTAssertEqual(try outcomes.map { try $0.get() }, records + [nil, nil])
        XCTAssertEqual(projection.batches.count, 1)
        XCTAssertEqual(Set(projection.batches[0]), Set(lookups))
        XCTAssertEqual(coalescer.pendingCount(on: fake.loop), 0)
    }

    /// By default a batch stays open for two pass ends: lookups made during the next pass
    /// join it, and it is sent once that pass ends.
    func testABatchStaysOpenForTheNextPassByDefault() async throws {
        let tenant = UUID()
        let records = (0..<2).map { _ in Self.record(UUID(), tenant: tenant) }
        let projection = FakeProjection(records: records)
        let fake = FakePass()
        let coalescer = ClientLookupCoalescer(pass: fake.pass) { lookups in try projection.send(lookups) }
        func lookUp(_ record: ClientRecord) -> Task<ClientRecord?, any Error> {
            Task { try await coalescer.client(TenantClientId(id: record.id, tenantId: tenant)) }
        }
        func waitForPending(_ count: Int) async throws {
            try await eventually("\(count) lookups pending") { coalescer.pendingCount(on: fake.loop) >= count }
        }
        let first = lookUp(records[0])
        try await waitForPending(1)
        fake.runQueued()   // the first pass ends: the batch stays open
        XCTAssertEqual(projection.batches.count, 0)
        let second = lookUp(records[1])
        try await waitForPending(2)
        fake.runQueued()   // the second pass ends: both go in one request
        let answers = [try await first.value, try await second.value]
        XCTAssertEqual(answers, records)
        XCTAssertEqual(projection.batches.count, 1)
        XCTAssertEqual(projection.batches.first?.count, 2)
    }

    func testAPassBeyondTheLimitIsSentInSeveralRequests() async throws {
        let tenant = UUID()
        let records = (0..<10).map { _ in Self.record(UUID(), tenant: tenant) }
        let projection = FakeProjection(records: records)
        let fake = FakePass()
        let outcomes = try await lookUpInOnePass(records.map { TenantClientId(id: $0.id, tenantId: tenant) }, on: fake,
                                                 coalescer(fake, projection, limit: 4))
        XCTAssertEqual(try outcomes.map { try $0.get() }, records)
        XCTAssertEqual(projection.batches.map(\.count).sorted(), [2, 4, 4])
    }

    func testAFailedRequestFailsEachOfItsLookups() async throws {
        let projection = FakeProjection(records: [], failure: ClienteleError(.unavailable, "Upstream unavailable"))
        let fake = FakePass()
        let outcomes = try await lookUpInOnePass((0..<5).map { _ in TenantClientId(id: UUID(), tenantId: UUID()) }, on: fake,
                                                 coalescer(fake, projection))
        XCTAssertEqual(outcomes.map { Self.code($0) }, Array(repeating: .unavailable, count: 5))
        XCTAssertEqual(projection.batches.count, 1)
    }

    func testOffALoopOrOnAStoppedOneALookupIsSentAtOnceAlone() async throws {
        let tenant = UUID()
        let record = Self.record(UUID(), tenant: tenant)
        for fake in [FakePass(onLoop: false), FakePass(running: false)] {
            let projection = FakeProjection(records: [record])
            let coalescer = coalescer(fake, projection)
            let found = try await coalescer.client(TenantClientId(id: record.id, tenantId: tenant))
            XCTAssertEqual(found, record)
            let missing = try await coalescer.client(TenantClientId(id: UUID(), tenantId: tenant))
            XCTAssertNil(missing)
            XCTAssertEqual(projection.batches.map(\.count), [1, 1])
            XCTAssertEqual(fake.queued, 0)
        }
    }
}
