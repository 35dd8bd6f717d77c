import Crypto
import Dispatch
import Errors
import Synchronization
import TestSupport
import XCTest

/// The bounded queue password hashing runs behind: never more than `maxRunning` at once,
/// never more than `maxWaiting` queued, everything beyond refused at once with 503 advice.
final class PasswordHashQueueTests: XCTestCase {
    func testCallsBeyondTheRunningAndWaitingSlotsAreRefusedAtOnce() async throws {
        let queue = PasswordHashQueue(maxRunning: 2, maxWaiting: 3)
        let gate = DispatchSemaphore(value: 0)
        let concurrency = Mutex((now: 0, peak: 0))
        let work: @Sendable () -> Int = {
            concurrency.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            gate.wait()
            concurrency.withLock { $0.now -= 1 }
            return 1
        }
        let outcomes = Task {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        do {
                            return try await queue.run(work) == 1
                        } catch let full as PasswordHashQueueFull {
                            XCTAssertEqual(full.retryAfterSeconds, 1)
                            XCTAssertEqual(full.clienteleError.code, .unavailable)
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        // Every call has been admitted or refused once 2 run (both inside `work`), 3 wait and
        // 5 were refused.
        try await eventually("2 run, 3 wait and 5 were refused (now \(queue.counts))") {
            queue.counts == PasswordHashQueue.Counts(started: 2, refused: 5, running: 2, waiting: 3)
                && concurrency.withLock({ $0.now }) == 2
        }
        for _ in 0..<5 { gate.signal() }
        let results = try await outcomes.value
        XCTAssertEqual(results.filter { $0 }.count, 5)
        XCTAssertEqual(queue.counts, PasswordHashQueue.Counts(started: 5, refused: 5, running: 0, waiting: 0))
        XCTAssertEqual(concurrency.withLock { $0.peak }, 2, "never more than maxRunning at once")

        // Freed slots take new calls.
        let again = try await queue.run { 7 }
        XCTAssertEqual(again, 7)
    }

    func testThreadsDefaultToOnePerCoreWithThreeWaitingEach() {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let perCore = PasswordHashQueue()
        XCTAssertEqual([perCore.maxRunning, perCore.maxWaiting], [cores, 3 * cores])
        let one = PasswordHashQueue(threads: 1)
        XCTAssertEqual([one.maxRunning, one.maxWaiting], [1, 3])
    }
}
