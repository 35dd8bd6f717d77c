import ClientDomain
import CRM
import Foundation
import TestSupport
import XCTest

final class CRMSyncScheduleTests: XCTestCase {
    let company = UUID()
    let start = ContinuousClock.now

    func upsert(_ client: UUID, _ version: Int64, tenant: UUID? = nil, email: String? = nil) -> CRMChange {
        CRMChange(tenantId: tenant ?? company, clientId: client, version: version,
                  operation: .upsert(CRMContactProperties(clientId: client, profile: ClientProfile(email: email ?? "v\(version)@example.com"))))
    }

    func schedule(_ policy: CRMSyncPolicy = CRMSyncPolicy()) -> CRMSyncSchedule {
        CRMSyncSchedule(policy: policy, random: SplitMix64(state: 1))
    }

    func testSeveralWaitingVersionsOfOneClientBecomeOneUpsertOfTheLatest() throws {
        var schedule = schedule()
        let client = UUID()
        for version in 1...5 { XCTAssertTrue(schedule.enqueue(upsert(client, Int64(version)))) }
        let batch = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertEqual(batch.kind, .upsert)
        XCTAssertEqual(batch.changes.map(\.version), [5])
        XCTAssertEqual(schedule.complete(batch, .accepted(objectIds: [:]), now: start), [.synced(batch.changes[0], objectId: nil)])
        XCTAssertNil(schedule.nextBatch(now: start), "nothing is left to send")
        XCTAssertEqual(schedule.syncedVersion(tenantId: company, clientId: client), 5)
    }

    func testAnOlderVersionIsNeverSentAfterANewerOne() throws {
        var schedule = schedule()
        let client = UUID()
        schedule.enqueue(upsert(client, 3))
        let first = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertFalse(schedule.enqueue(upsert(client, 2)), "older than the one in flight")
        XCTAssertFalse(schedule.enqueue(upsert(client, 3)), "the one in flight again (a redelivery)")
        XCTAssertTrue(schedule.enqueue(upsert(client, 4)))
        XCTAssertNil(schedule.nextBatch(now: start), "one call per client (and company) at a time")
        _ = schedule.complete(first, .accepted(objectIds: [:]), now: start)
        let second = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertEqual(second.changes.map(\.version), [4])
        _ = schedule.complete(second, .accepted(objectIds: [:]), now: start)
        XCTAssertFalse(schedule.enqueue(upsert(client, 4)), "a synced version is not sent again")
        XCTAssertFalse(schedule.enqueue(upsert(client, 1)))
    }

    /// Random arrivals (redeliveries, out-of-order duplicates) and random outcomes: every
    /// client's sent versions only grow, and each client ends synced at its last version.
    func testRandomArrivalsAndOutcomesNeverSendAnOlderVersionAfterANewerOne() throws {
        for seed in UInt64(1)...20 {
            var random = SplitMix64(state: seed)
            var schedule = schedule(CRMSyncPolicy(maxAttempts: 1000, backoffInitial: .milliseconds(1), backoffMaximum: .milliseconds(4)))
            let clients = (0..<7).map { _ in UUID() }
            var delivered = Dictionary(uniqueKeysWithValues: clients.map { ($0, Int64(0)) })
            var sent: [UUID: [Int64]] = [:]
            var now = start
            for _ in 0..<400 {
                now += .milliseconds(1)
                let client = clients.randomElement(using: &random)!
                if Bool.random(using: &random) {
                    delivered[client]! += 1
                    schedule.enqueue(upsert(client, delivered[client]!))
                } else if delivered[client]! > 0 {
                    schedule.enqueue(upsert(client, Int64.random(in: 1...delivered[client]!, using: &random)))
                }
                if let batch = schedule.nextBatch(now: now) {
                    for change in batch.changes { sent[change.clientId, default: []].append(change.version) }
                    let outcomes: [CRMCallOutcome] = [.accepted(objectIds: [:]), .transient(reason: "HTTP 503"), .rateLimited(retryAfter: nil)]
                    _ = schedule.complete(batch, outcomes.randomElement(using: &random)!, now: now)
                }
            }
            while let batch = schedule.nextBatch(now: now + .seconds(60)) {
                for change in batch.changes { sent[change.clientId, default: []].append(change.version) }
                _ = schedule.complete(batch, .accepted(objectIds: [:]), now: now)
            }
            for client in clients {
                let versions = sent[client] ?? []
                XCTAssertEqual(versions, versions.sorted(), "seed \(seed): sent out of order")
                XCTAssertEqual(schedule.syncedVersion(tenantId: company, clientId: client), delivered[client]!, "seed \(seed)")
            }
        }
    }

    func testBatchesHoldAtMostOneHundredChangesOfOneKindInArrivalOrder() throws {
        var schedule = schedule()
        let clients = (0..<250).map { _ in UUID() }
        for client in clients { schedule.enqueue(upsert(client, 1)) }
        let deleted = clients[10]
        var sizes: [Int] = []
        var order: [UUID] = []
        while let batch = schedule.nextBatch(now: start) {
            sizes.append(batch.changes.count)
            order += batch.changes.map(\.clientId)
            _ = schedule.complete(batch, .accepted(objectIds: [deleted.uuidString.lowercased(): "901"]), now: start)
        }
        XCTAssertEqual(sizes, [100, 100, 50])
        XCTAssertEqual(order, clients)

        schedule.enqueue(upsert(clients[0], 2))
        schedule.enqueue(CRMChange(tenantId: company, clientId: deleted, version: 2, operation: .archive))
        schedule.enqueue(upsert(clients[1], 2))
        let upserts = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertEqual(upserts.kind, .upsert)
        XCTAssertEqual(upserts.changes.map(\.clientId), [clients[0], clients[1]], "kinds are not mixed in one batch")
        _ = schedule.complete(upserts, .accepted(objectIds: [:]), now: start)
        let archive = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertEqual(archive.kind, .archive)
        XCTAssertEqual(archive.objectIds, [deleted: "901"], "the record id learnt from the upsert answer")
    }

    func testOneCallInFlightPerCompanyAndCompaniesTakeTurns() throws {
        var schedule = schedule()
        let other = UUID()
        for _ in 0..<3 { schedule.enqueue(upsert(UUID(), 1)) }
        schedule.enqueue(upsert(UUID(), 1, tenant: other))
        let first = try XCTUnwrap(schedule.nextBatch(now: start))
        let second = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertEqual(Set([first.tenantId, second.tenantId]), [company, other])
        XCTAssertNil(schedule.nextBatch(now: start), "each company has its call in flight")
    }

    func testA429WaitsItsRetryAfterWithoutCountingAnAttempt() throws {
        var schedule = schedule(CRMSyncPolicy(maxAttempts: 2))
        let client = UUID()
        let other = UUID()
        schedule.enqueue(upsert(client, 1))
        for round in 0..<5 {
            let now = start + .seconds(10 * round)
            let batch = try XCTUnwrap(schedule.nextBatch(now: now), "round \(round)")
            XCTAssertEqual(schedule.complete(batch, .rateLimited(retryAfter: .seconds(7)), now: now),
                           [.retrying(batch.changes[0], attempts: 0, after: .seconds(7))])
            XCTAssertNil(schedule.nextBatch(now: now + .seconds(6)), "Retry-After is honoured")
            XCTAssertEqual(schedule.earliestRetry(), now + .seconds(7))
        }
        schedule.enqueue(upsert(other, 1, tenant: UUID()))
        XCTAssertNotNil(schedule.nextBatch(now: start + .seconds(41)), "another company is not held back")
        let batch = try XCTUnwrap(schedule.nextBatch(now: start + .seconds(47)))
        XCTAssertEqual(schedule.complete(batch, .accepted(objectIds: [:]), now: start), [.synced(batch.changes[0], objectId: nil)],
                       "five 429s did not dead-letter a change allowed two attempts")
    }

    func testARetryAfterBeyondTheCapWaitsOnlyTheCap() throws {
        var schedule = schedule(CRMSyncPolicy(maxRetryAfter: .seconds(30)))
        schedule.enqueue(upsert(UUID(), 1))
        let batch = try XCTUnwrap(schedule.nextBatch(now: start))
        _ = schedule.complete(batch, .rateLimited(retryAfter: .seconds(86_400)), now: start)
        XCTAssertNotNil(schedule.nextBatch(now: start + .seconds(30)))
    }

    func testTransientFailuresBackOffExponentiallyWithJitterThenDeadLetterWhileOtherClientsGoOn() throws {
        var schedule = schedule(CRMSyncPolicy(maxAttempts: 4, backoffInitial: .seconds(1), backoffMaximum: .seconds(4)))
        let stuck = UUID()
        schedule.enqueue(upsert(stuck, 1))
        var now = start
        var pauses: [Duration] = []
        for attempt in 1...3 {
            let batch = try XCTUnwrap(schedule.nextBatch(now: now))
            let effects = schedule.complete(batch, .transient(reason: "HTTP 503"), now: now)
            guard case .retrying(_, let attempts, let pause) = effects.first else { return XCTFail("\(effects)") }
            XCTAssertEqual(attempts, attempt)
            pauses.append(pause)
            XCTAssertNil(schedule.nextBatch(now: now + pause - .milliseconds(1)), "waits its backoff")
            now += pause
        }
        for (pause, ceiling) in zip(pauses, [Duration.seconds(1), .seconds(2), .seconds(4)]) {
            XCTAssertGreaterThanOrEqual(pause, ceiling / 2)
            XCTAssertLessThanOrEqual(pause, ceiling)
        }
        let last = try XCTUnwrap(schedule.nextBatch(now: now))
        let dead = CRMDeadLetter(change: last.changes[0], attempts: 4, reason: "timed out")
        XCTAssertEqual(schedule.complete(last, .transient(reason: "timed out"), now: now), [.deadLettered(dead)])
        XCTAssertEqual(schedule.deadLetters, [dead])

        // Its later change waits behind the dead letter; another client goes on.
        let neighbour = UUID()
        schedule.enqueue(upsert(stuck, 2))
        schedule.enqueue(upsert(neighbour, 1))
        now += .seconds(10)
        let next = try XCTUnwrap(schedule.nextBatch(now: now))
        XCTAssertEqual(next.changes.map(\.clientId), [neighbour])
        _ = schedule.complete(next, .accepted(objectIds: [:]), now: now)
        XCTAssertNil(schedule.nextBatch(now: now))
        XCTAssertEqual(schedule.pendingClients(tenantId: company), 1)

        // Retried: the latest version goes, with fresh attempts.
        XCTAssertTrue(schedule.retry(tenantId: company, clientId: stuck))
        let retried = try XCTUnwrap(schedule.nextBatch(now: now))
        XCTAssertEqual(retried.changes.map(\.version), [2])
        XCTAssertEqual(schedule.complete(retried, .transient(reason: "HTTP 500"), now: now).count, 1)
        XCTAssertEqual(schedule.deadLetters, [], "the attempts started again from 0")
    }

    func testAnother4xxSplitsABatchAndDeadLettersOnlyTheRejectedChangeAtOnce() throws {
        var schedule = schedule()
        let clients = (0..<3).map { _ in UUID() }
        for client in clients { schedule.enqueue(upsert(client, 1)) }
        let batch = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertEqual(batch.changes.count, 3)
        _ = schedule.complete(batch, .rejected(status: 400, answer: "{\"category\":\"VALIDATION_ERROR\"}"), now: start)
        var singles: [UUID] = []
        while let single = schedule.nextBatch(now: start) {
            XCTAssertEqual(single.changes.count, 1, "sent alone after a rejected batch")
            singles.append(single.changes[0].clientId)
            let outcome: CRMCallOutcome = single.changes[0].clientId == clients[1]
                ? .rejected(status: 400, answer: "{\"category\":\"VALIDATION_ERROR\"}") : .accepted(objectIds: [:])
            _ = schedule.complete(single, outcome, now: start)
        }
        XCTAssertEqual(singles, clients)
        XCTAssertEqual(schedule.deadLetters.map(\.change.clientId), [clients[1]])
        XCTAssertEqual(schedule.deadLetters.first?.attempts, 1)
        XCTAssertEqual(schedule.deadLetters.first?.reason, "HTTP 400: {\"category\":\"VALIDATION_ERROR\"}")
        XCTAssertEqual(schedule.syncedVersion(tenantId: company, clientId: clients[0]), 1)
        XCTAssertEqual(schedule.syncedVersion(tenantId: company, clientId: clients[2]), 1)
    }

    /// HubSpot's 207: the inputs with a result are synced at once; one without is sent alone
    /// next and, refused again, dead-lettered with the CRM's answer; nothing is sent twice.
    func testA207SyncsTheAcceptedInputsAndDeadLettersTheRefusedOneAlone() throws {
        var schedule = schedule()
        let clients = (0..<3).map { _ in UUID() }
        for client in clients { schedule.enqueue(upsert(client, 1)) }
        let batch = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertEqual(batch.changes.count, 3)
        let accepted = [clients[0].uuidString.lowercased(): "501", clients[2].uuidString.lowercased(): "503"]
        let answer = #"{"status":"COMPLETE","numErrors":1,"errors":[{"category":"VALIDATION_ERROR"}]}"#
        let effects = schedule.complete(batch, .partial(objectIds: accepted, answer: answer), now: start)
        XCTAssertEqual(effects, [.retrying(batch.changes[1], attempts: 0, after: .zero),
                                 .synced(batch.changes[0], objectId: "501"), .synced(batch.changes[2], objectId: "503")])
        XCTAssertEqual(schedule.syncedVersion(tenantId: company, clientId: clients[0]), 1)
        XCTAssertEqual(schedule.syncedVersion(tenantId: company, clientId: clients[2]), 1)

        let alone = try XCTUnwrap(schedule.nextBatch(now: start))
        XCTAssertEqual(alone.changes.map(\.clientId), [clients[1]], "only the refused input goes again, alone")
        _ = schedule.complete(alone, .partial(objectIds: [:], answer: answer), now: start)
        XCTAssertEqual(schedule.deadLetters.map(\.change.clientId), [clients[1]])
        XCTAssertEqual(schedule.deadLetters.first?.reason, "HTTP 207: " + answer)
        XCTAssertNil(schedule.nextBatch(now: start))
        XCTAssertEqual(CRMCallOutcome.classify(status: 207, retryAfter: nil, answer: answer, objectIds: accepted),
                       .partial(objectIds: accepted, answer: answer))
    }

    func testACompletionOfAnUnknownBatchChangesNothing() throws {
        var schedule = schedule()
        schedule.enqueue(upsert(UUID(), 1))
        var batch = try XCTUnwrap(schedule.nextBatch(now: start))
        batch.id += 1
        XCTAssertEqual(schedule.complete(batch, .accepted(objectIds: [:]), now: start), [])
    }

    func testAForgottenCompanysCallInFlightCompletesWithoutEffect() throws {
        var schedule = schedule()
        let client = UUID()
        schedule.enqueue(upsert(client, 1))
        let batch = try XCTUnwrap(schedule.nextBatch(now: start))
        schedule.forget(tenantId: company)
        XCTAssertEqual(schedule.complete(batch, .accepted(objectIds: [:]), now: start), [])
        XCTAssertEqual(schedule.pendingClients(tenantId: company), 0)
        XCTAssertTrue(schedule.enqueue(upsert(client, 1)), "enabled again, it starts from what storage says")
        XCTAssertEqual(try XCTUnwrap(schedule.nextBatch(now: start)).changes.map(\.version), [1])
    }
}
