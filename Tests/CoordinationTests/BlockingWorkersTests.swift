import Coordination
import Dispatch
import Foundation
import Synchronization
import XCTest

final class BlockingWorkersTests: XCTestCase {
    struct Refused: Error {}

    /// Calls running now, and the most at once.
    final class Overlap: Sendable {
        let state = Mutex((now: 0, most: 0))
    }

    func testRunAnswersTheWorksResultOrItsError() async throws {
        let workers = BlockingWorkers(name: "test-workers", maxThreads: 2)
        defer { workers.stop() }
        let answer = try await workers.run { 6 * 7 }
        XCTAssertEqual(answer, 42)
        do {
            _ = try await workers.run { () throws -> Int in throw Refused() }
            XCTFail("the work's error is thrown")
        } catch is Refused {}
    }

    /// More blocked calls than the machine has cores, and Swift tasks still run: the calls
    /// hold the pool's own threads, not the cooperative pool's (on Linux `DispatchQueue.global()`
    /// is that pool, and a task waits there until blocked jobs end).
    func testBlockedCallsDoNotHoldUpSwiftTasks() async throws {
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        let workers = BlockingWorkers(name: "test-workers", maxThreads: blocked)
        defer { workers.stop() }
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        var calls: [Task<Void, any Error>] = []
        for _ in 0..<blocked {
            calls.append(Task.detached { try await workers.run { started.signal(); release.wait() } })
        }
        // At once: on Dispatch's global queue the calls beyond the core count waited about
        // 3 s here for it to add threads, and every task with them.
        let allStarted = await Self.signalled(started, times: blocked, within: 1)
        XCTAssertTrue(allStarted, "every call runs at once on a thread of its own")
        // Every call is now blocked on its thread; a task on the cooperative pool still runs.
        let taskRan = DispatchSemaphore(value: 0)
        Task.detached { taskRan.signal() }
        let ran = await Self.signalled(taskRan, times: 1, within: 1)
        XCTAssertTrue(ran, "a task runs while every call is blocked")
        for _ in 0..<blocked { release.signal() }
        for call in calls { try await call.value }
    }

    /// Whether `semaphore` is signalled `times` within `seconds`, waited for on a thread of its
    /// own (never one of the cooperative pool's, which the test is about).
    static func signalled(_ semaphore: DispatchSemaphore, times: Int, within seconds: Double) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread {
                let deadline = DispatchTime.now() + seconds
                continuation.resume(returning: (0..<times).allSatisfy { _ in semaphore.wait(timeout: deadline) == .success })
            }.start()
        }
    }

    func testCallsBeyondTheThreadLimitQueueAndAllRun() async throws {
        let workers = BlockingWorkers(name: "test-workers", maxThreads: 2)
        defer { workers.stop() }
        // How many calls run at once, and the most seen: each call blocks a little, so calls
        // the pool let through together would overlap.
        let running = Overlap()
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for value in 0..<20 {
                group.addTask {
                    try await workers.run {
                        running.state.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                        usleep(2_000)
                        running.state.withLock { $0.now -= 1 }
                        return value
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(answers.sorted(), Array(0..<20))
        XCTAssertEqual(workers.submittedCount, 20)
        XCTAssertLessThanOrEqual(running.state.withLock { $0.most }, 2, "never more calls at once than threads")
    }
}
