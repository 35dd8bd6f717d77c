import Foundation
import InternalAPI
import Projection
import Synchronization
import TestSupport
import XCTest

/// The checkpoint and version rule as plain state machines, and the in-process waiters.
final class ProjectionCheckpointTests: XCTestCase {
    func testStartsAtStoredOffsetsWithUnknownEnds() {
        let checkpoint = ProjectionCheckpoint(partitionCount: 3, stored: [1: 40])
        XCTAssertEqual(checkpoint.nextOffsets, [0: 0, 1: 40, 2: 0])
        XCTAssertNil(checkpoint.partitions[1]?.lag)
        XCTAssertFalse(checkpoint.isCaughtUp, "ends are unknown until each partition reported EOF")
    }

    func testAppliedOnlyMovesForward() {
        var checkpoint = ProjectionCheckpoint(partitionCount: 1, stored: [0: 10])
        checkpoint.applied(partition: 0, offset: 12)
        XCTAssertEqual(checkpoint.partitions[0]?.next, 13)
        checkpoint.applied(partition: 0, offset: 5)
        XCTAssertEqual(checkpoint.partitions[0]?.next, 13, "a redelivered record must not move the position back")
        checkpoint.applied(partition: 7, offset: 1)
        XCTAssertNil(checkpoint.partitions[7], "partitions outside the topic are ignored")
    }

    func testLagAndCaughtUpFollowEndOfPartitionEvents() {
        var checkpoint = ProjectionCheckpoint(partitionCount: 2)
        checkpoint.reachedEnd(partition: 0, nextOffset: 5)
        XCTAssertEqual(checkpoint.partitions[0]?.lag, 5)
        XCTAssertFalse(checkpoint.isCaughtUp)
        for offset in 0..<5 { checkpoint.applied(partition: 0, offset: Int64(offset)) }
        checkpoint.reachedEnd(partition: 1, nextOffset: 0)
        XCTAssertEqual(checkpoint.totalLag, 0)
        XCTAssertTrue(checkpoint.isCaughtUp)
        checkpoint.reachedEnd(partition: 0, nextOffset: 3)
        XCTAssertEqual(checkpoint.partitions[0]?.end, 5, "the end never moves backwards")
        checkpoint.applied(partition: 1, offset: 9)
        XCTAssertEqual(checkpoint.partitions[1]?.end, 10, "a record past the known end moves the end")
        checkpoint.reachedEnd(partition: 0, nextOffset: 8)
        XCTAssertEqual(checkpoint.totalLag, 3)
        XCTAssertFalse(checkpoint.isCaughtUp)
    }

    func testHasReachedComparesEveryPartition() {
        var checkpoint = ProjectionCheckpoint(partitionCount: 2, stored: [0: 4, 1: 2])
        XCTAssertTrue(checkpoint.hasReached([0: 4, 1: 1]))
        XCTAssertFalse(checkpoint.hasReached([0: 4, 1: 3]))
        checkpoint.reset(partition: 1, to: 3)
        XCTAssertTrue(checkpoint.hasReached([0: 4, 1: 3]))
        XCTAssertFalse(checkpoint.hasReached([2: 1]), "a partition it does not have counts as not reached")
    }

    func testStreamVersionRule() {
        XCTAssertEqual(StreamVersionRule.decide(version: 1, lastApplied: 0), .apply)
        XCTAssertEqual(StreamVersionRule.decide(version: 4, lastApplied: 3), .apply)
        XCTAssertEqual(StreamVersionRule.decide(version: 3, lastApplied: 3), .duplicate)
        XCTAssertEqual(StreamVersionRule.decide(version: 1, lastApplied: 3), .duplicate)
        XCTAssertEqual(StreamVersionRule.decide(version: 5, lastApplied: 3), .early)
        XCTAssertEqual(StreamVersionRule.decide(version: 2, lastApplied: 0), .early)
    }

    func testWaitersWakeOnPublishAndTimeOutOtherwise() async throws {
        let waiters = AppliedVersionWaiters()
        let id = UUID()
        let held = Mutex<Int64?>(nil)
        // A timeout the test never reaches: a wait that ran to it would return what it read
        // (nil), so `applied: 3` below shows the publish woke it.
        async let woken = waiters.wait(streamId: id, version: 2, timeout: .seconds(60)) { StreamVisibility(applied: held.withLock { $0 }) }
        try await eventually("the wait registered") { waiters.count == 1 }
        waiters.published([AppliedVersion(streamId: UUID(), version: 9)])
        waiters.published([AppliedVersion(streamId: id, version: 1)])
        held.withLock { $0 = 1 }
        XCTAssertEqual(waiters.count, 1, "a publish of another stream, or below the version, wakes nobody")
        held.withLock { $0 = 3 }
        waiters.published([AppliedVersion(streamId: id, version: 3)])
        let version = try await woken
        XCTAssertEqual(version.applied, 3, "woken by the publish")
        XCTAssertEqual(waiters.count, 0)

        let timedOut = ContinuousClock.now
        let stale = try await waiters.wait(streamId: id, version: 4, timeout: .milliseconds(300)) { StreamVisibility(applied: held.withLock { $0 }) }
        XCTAssertEqual(stale.applied, 3)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - timedOut, .milliseconds(300))
        XCTAssertEqual(waiters.count, 0)
    }

    /// A publish hands the waiter the committed version: no second read of the read model
    /// (each read-your-writes wait costs the projection's database one query, not two).
    func testPublishedVersionIsReturnedWithoutReadingAgain() async throws {
        let waiters = AppliedVersionWaiters()
        let id = UUID()
        let reads = Mutex(0)
        async let woken = waiters.wait(streamId: id, version: 2, timeout: .seconds(60)) {
            reads.withLock { $0 += 1 }
            return StreamVisibility(applied: 1)
        }
        try await eventually("the wait registered and read") { waiters.count == 1 && reads.withLock { $0 } == 1 }
        waiters.published([AppliedVersion(streamId: id, version: 4)])
        let version = try await woken
        XCTAssertEqual(version.applied, 4)
        XCTAssertEqual(reads.withLock { $0 }, 1)
        XCTAssertEqual(waiters.count, 0)
    }

    func testRecheckAllMakesWaitersReadAgainWithoutEndingEarly() async throws {
        let waiters = AppliedVersionWaiters()
        let id = UUID()
        let held = Mutex<Int64?>(1)
        let reads = Mutex(0)
        // A timeout the test never reaches: a wait that ran to it would return what it last
        // read (1), so `applied: 7` below shows the recheck woke it.
        async let woken = waiters.wait(streamId: id, version: 5, timeout: .seconds(60)) {
            reads.withLock { $0 += 1 }
            return StreamVisibility(applied: held.withLock { $0 })
        }
        try await eventually("the wait registered and read") { waiters.count == 1 && reads.withLock { $0 } == 1 }
        waiters.recheckAll()  // still at 1: the waiter must keep waiting
        try await eventually("the waiter read again and waits on") { waiters.count == 1 && reads.withLock { $0 } == 2 }
        held.withLock { $0 = 7 }  // a swapped-in model holds a later version, never published per stream
        waiters.recheckAll()
        let version = try await woken
        XCTAssertEqual(version.applied, 7)
    }

    /// Many waits with different deadlines each end at theirs (not before, and not much
    /// after), while others are woken by publishes; nothing is left registered.
    ///
    /// The published waits have a timeout the test never reaches (so a publish always comes
    /// first, however slow the machine), and `version 2` shows the publish woke them. The
    /// others' upper bound is a correctness bound, not a performance claim: the deadline
    /// sweep runs every 10 ms, and 2 s of slack only catches a wait nobody let go.
    func testManyWaitersExpireAtTheirOwnDeadlines() async throws {
        let waiters = AppliedVersionWaiters()
        let ids = (0..<200).map { _ in UUID() }
        func timeout(_ index: Int) -> Duration { index.isMultiple(of: 2) ? .seconds(60) : .milliseconds(50 + (index % 4) * 100) }
        // A wait reads the version once it has registered.
        final class Registered: Sendable { let indices = Mutex<Set<Int>>([]) }
        let registered = Registered()
        let published = Set(ids.indices.filter { $0.isMultiple(of: 2) })
        let results = try await withThrowingTaskGroup(of: (Int, Int64?, Duration).self) { group in
            for (index, id) in ids.enumerated() {
                group.addTask {
                    let start = ContinuousClock.now
                    let version = try await waiters.wait(streamId: id, version: 2, timeout: timeout(index)) {
                        registered.indices.withLock { _ = $0.insert(index) }
                        return StreamVisibility(applied: 1)
                    }
                    return (index, version.applied, ContinuousClock.now - start)
                }
            }
            try await eventually("the waits to publish registered") { registered.indices.withLock { $0.isSuperset(of: published) } }
            waiters.published(ids.enumerated().filter { $0.offset.isMultiple(of: 2) }.map { AppliedVersion(streamId: $0.element, version: 2) })
            var results: [(Int, Int64?, Duration)] = []
            for try await result in group { results.append(result) }
            return results
        }
        XCTAssertEqual(results.count, ids.count)
        for (index, version, waited) in results {
            if index.isMultiple(of: 2) {
                XCTAssertEqual(version, 2, "waiter \(index) was published")
                XCTAssertLessThan(waited, .seconds(30), "woken by the publish, not its 60 s timeout")
            } else {
                XCTAssertEqual(version, 1, "waiter \(index) times out holding version 1")
                XCTAssertGreaterThanOrEqual(waited, timeout(index))
                XCTAssertLessThan(waited, timeout(index) + .seconds(2))
            }
        }
        XCTAssertEqual(waiters.count, 0)
    }

    /// A cancelled wait returns at once with the version it read, long before its timeout.
    func testCancelledWaitReturnsAtOnce() async throws {
        let waiters = AppliedVersionWaiters()
        let id = UUID()
        let start = ContinuousClock.now
        let task = Task { try await waiters.wait(streamId: id, version: 3, timeout: .seconds(60)) { StreamVisibility(applied: 2) } }
        try await eventually("the wait registered") { waiters.count == 1 }
        task.cancel()
        let version = try await task.value
        XCTAssertEqual(version.applied, 2)
        // A correctness bound, not a performance claim: the uncancelled wait lasts 60 s.
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(30))
        XCTAssertEqual(waiters.count, 0)
    }
}
