import ClientDomain
import EventLog
import Foundation
import Kafka
import Postgres
import Projection
import TestSupport
import XCTest

/// A projection whose broker lost the log and got it back from a republish of the store:
/// it reads the new log from the start, ends where an independent replay of that log ends,
/// and applies no event twice.
final class LogReplacementTests: XCTestCase {
    /// Steps `runner` (riding out the errors a broker restart causes) until it stands exactly
    /// at `ends` and has seen every partition's end.
    func settle(_ runner: ProjectionRunner, at ends: [Int32: Int64], timeout: Duration = .seconds(60)) async throws {
        // A step waits on the broker itself; only a failed one is followed by a pause.
        try await eventually("the projection settled at \(ends) (\(runner.checkpoint))", timeout: timeout, pausing: false) {
            let checkpoint = runner.checkpoint
            if checkpoint.isCaughtUp, ends.allSatisfy({ checkpoint.nextOffsets[$0.key] == $0.value }) { return true }
            do {
                try await runner.step()
            } catch {
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
    }

    /// Clients of `events` that still exist at the end (not deleted), with their tenant.
    func liveClients(_ events: [StoredEvent]) -> [(UUID, UUID)] {
        let deleted = Set(events.filter { $0.envelope.type == "client.deleted" }.map(\.envelope.streamId))
        var seen: Set<UUID> = []
        return events.compactMap { event in
            let id = event.envelope.streamId
            guard !deleted.contains(id), seen.insert(id).inserted else { return nil }
            return (id, event.envelope.tenantId)
        }
    }

    func applied(_ fixture: ProjectionFixture) -> Double {
        fixture.metrics.counter("clientele_projection_events_applied_total", help: "", labels: ["projection"]).value("search")
    }

    func rewinds(_ fixture: ProjectionFixture, _ reason: String) -> Double {
        fixture.metrics.counter("clientele_projection_log_rewinds_total", help: "", labels: ["projection", "reason"]).value("search", reason)
    }

    /// Replays `fixture`'s topic into a fresh database and compares the read models.
    func assertSameAsAFreshReplay(_ fixture: ProjectionFixture, ends: [Int32: Int64],
                                  file: StaticString = #filePath, line: UInt = #line) async throws {
        let sibling = try await fixture.sibling()
        let replay = sibling.runner()
        try await settle(replay, at: ends)
        await replay.close()
        let expected = try await sibling.checksum()
        let actual = try await fixture.checksum()
        XCTAssertEqual(actual, expected, "the read model differs from a fresh replay of the new log", file: file, line: line)
    }

    func testARecordOfANewerLogEpochMakesTheProjectionReadTheNewLogFromTheStart() async throws {
        let broker = try KafkaBroker.start()
        defer { broker.stop() }
        let fixture = try await ProjectionFixture.make(broker: broker)
        var script = EventScript()
        // The projection applied the first events, which the old log holds twice (the relay
        // resent them after time-outs); the broker then lost the log before the projection
        // read the rest.
        let first = try script.population(clients: 10)
        try await fixture.produce(first)
        try await fixture.produce(first)
        let runner = fixture.runner(batchSize: 50)
        try await fixture.catchUp(runner)
        // Its consumer closes (the process stopped, say) and opens again once the new log is
        // complete, so it does not see that log short of its offsets at any time.
        await runner.close()
        let rest = try script.population(clients: 40)
        try await fixture.produce(rest)
        XCTAssertEqual(applied(fixture), Double(first.count))

        try broker.restart()
        try await broker.createTopic(fixture.topic, partitions: fixture.partitions)
        // As the relay does after a loss: new writes may land before it notices (epoch 0),
        // then come the republish of the whole store and later writes (epoch 1). The new log
        // is longer than the projection's offsets, so they are not out of range, but they
        // point past events it never applied: only the epoch tells.
        var early: [StoredEvent] = []
        for (id, tenant) in liveClients(first + rest).prefix(6) {
            early.append(try script.change(id, tenant: tenant, ClientProfileChanges(notes: .set("after the restart"))))
        }
        let later = try script.population(clients: 5)
        var ends = try await fixture.produce(early)
        ends.merge(try await fixture.produce(first + rest + early, logEpoch: 1)) { max($0, $1) }
        ends.merge(try await fixture.produce(later, logEpoch: 1)) { max($0, $1) }
        let stored = try await fixture.pool.withConnection { try ProjectionOffsets.load("search", on: $0) }
        XCTAssertTrue(stored.allSatisfy { $0.value < ends[$0.key] ?? 0 }, "stored \(stored) within the new log \(ends)")
        try await settle(runner, at: ends)
        await runner.close()

        let all = first.count + rest.count + early.count + later.count
        XCTAssertEqual(applied(fixture), Double(all), "every event applied exactly once")
        XCTAssertEqual(rewinds(fixture, "new_log_epoch"), 1)
        let epoch = try await fixture.pool.withConnection { try ProjectionLogEpoch.load("search", on: $0) }
        XCTAssertEqual(epoch, 1)
        try await assertSameAsAFreshReplay(fixture, ends: ends)
    }

    func testOffsetsPastTheEndOfAShorterNewLogAreReadAgainFromTheStart() async throws {
        let broker = try KafkaBroker.start()
        defer { broker.stop() }
        let fixture = try await ProjectionFixture.make(broker: broker)
        var script = EventScript()
        let old = try script.population(clients: 40)
        // The old log holds every event twice (the relay resent them after time-outs), so the
        // republish, which holds each once, is shorter: the stored offsets are past its end.
        try await fixture.produce(old)
        try await fixture.produce(old)
        let runner = fixture.runner(batchSize: 50)
        try await fixture.catchUp(runner)
        XCTAssertEqual(applied(fixture), Double(old.count))

        try broker.restart()
        try await broker.createTopic(fixture.topic, partitions: fixture.partitions)
        var ends = try await fixture.produce(old, logEpoch: 1)
        let later = try script.population(clients: 5)
        ends.merge(try await fixture.produce(later, logEpoch: 1)) { max($0, $1) }
        try await settle(runner, at: ends)
        // Settled means it stays settled: no rewind loop once the new log is read.
        for _ in 0..<5 { try await runner.step() }
        await runner.close()

        XCTAssertEqual(applied(fixture), Double(old.count + later.count), "every event applied exactly once")
        XCTAssertGreaterThanOrEqual(rewinds(fixture, "offset_out_of_range"), 1)
        let offsets = try await fixture.pool.withConnection { try ProjectionOffsets.load("search", on: $0) }
        XCTAssertEqual(offsets.filter { $0.value > 0 }, ends.filter { $0.value > 0 })
        try await assertSameAsAFreshReplay(fixture, ends: ends)
    }
}
