import Coordination
import Synchronization
import TestSupport
import XCTest

final class GroupCommitTests: XCTestCase {
    /// The groups a test's writes received, in order; the first write is held until released.
    final class Writes: Sendable {
        let groups = Mutex<[[Int]]>([])
        let release = OneShotEvent()

        func write(_ group: [Int]) async -> [Result<String, any Error>] {
            let first = groups.withLock { groups in
                groups.append(group)
                return groups.count == 1
            }
            if first { await release.wait() }
            return group.map { $0 < 0 ? .failure(Refused()) : .success("answer \($0)") }
        }
    }

    struct Refused: Error {}

    func testALoneCallerWritesAtOnceAndGetsItsAnswer() async throws {
        let commit = GroupCommit<Int, String>(maxGroup: 8)
        let writes = Writes()
        writes.release.signal()
        let answer = try await commit.commit(7) { await writes.write($0) }.get()
        XCTAssertEqual(answer, "answer 7")
        XCTAssertEqual(writes.groups.withLock { $0 }, [[7]])
    }

    /// Callers arriving while a group is written queue and go together in the next group, up to
    /// its size, in arrival order; each gets its own member's answer, a failure included.
    func testCallersArrivingDuringAWriteShareTheNextGroupEachWithItsOwnAnswer() async throws {
        let commit = GroupCommit<Int, String>(maxGroup: 3)
        let writes = Writes()
        async let first = commit.commit(0) { await writes.write($0) }
        try await eventually("the first write is under way") { writes.groups.withLock { $0.count } == 1 }
        var followers: [Task<Result<String, any Error>, Never>] = []
        for member in [1, -2, 3, 4] {
            followers.append(Task { await commit.commit(member) { await writes.write($0) } })
            try await eventually("member \(member) queued") { commit.queued == followers.count }
        }
        writes.release.signal()
        let firstAnswer = try await first.get()
        XCTAssertEqual(firstAnswer, "answer 0")
        var answers: [String] = []
        for follower in followers {
            switch await follower.value {
            case .success(let answer): answers.append(answer)
            case .failure(let error): answers.append(error is Refused ? "refused" : "\(error)")
            }
        }
        XCTAssertEqual(answers, ["answer 1", "refused", "answer 3", "answer 4"])
        XCTAssertEqual(writes.groups.withLock { $0 }, [[0], [1, -2, 3], [4]], "groups of at most 3, in arrival order")
        XCTAssertEqual(commit.queued, 0)
    }

    /// `take` decides the groups: here one member per key (its tens), so a second member of a
    /// key waits for the group after, and keeps its place.
    func testTakePicksTheGroupAndTheRestKeepTheirOrder() async throws {
        let commit = GroupCommit<Int, String> { queue in
            var keys: Set<Int> = []
            return queue.indices.filter { keys.insert(queue[$0] / 10).inserted }
        }
        let writes = Writes()
        async let first = commit.commit(0) { await writes.write($0) }
        try await eventually("the first write is under way") { writes.groups.withLock { $0.count } == 1 }
        var followers: [Task<Result<String, any Error>, Never>] = []
        for member in [11, 12, 21, 13] {
            followers.append(Task { await commit.commit(member) { await writes.write($0) } })
            try await eventually("member \(member) queued") { commit.queued == followers.count }
        }
        writes.release.signal()
        _ = try await first.get()
        for follower in followers { _ = try await follower.value.get() }
        XCTAssertEqual(writes.groups.withLock { $0 }, [[0], [11, 21], [12], [13]])
    }
}
