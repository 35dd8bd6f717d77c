import Foundation
import ServiceRuntime
import Synchronization
import TestSupport
import XCTest

/// The housekeeping loop behind the outbox vacuum and the GIN pending-list cleaner.
final class PeriodicUpkeepTests: XCTestCase {
    /// No step for intervals with nothing noted; one step for what was noted, however much;
    /// a failed step is logged and the next noted interval runs it again.
    func testStepsOnlyAfterWorkAndOutlivesAFailure() async throws {
        let steps = Mutex(0)
        let lines = LoggerTests.Lines()
        let logger = Logger(service: "test", level: .warning, sink: LogSink { lines.append($0) })
        let upkeep = PeriodicUpkeep(name: "test-upkeep", interval: .milliseconds(10), logger: logger) {
            let step = steps.withLock { $0 += 1; return $0 }
            if step == 1 { throw CancellationError() }
        }
        func wait(for count: Int) async throws {
            try await eventually("step \(count) ran") { steps.withLock { $0 } >= count }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await upkeep.run() }
            // The sleeps below are the behaviour under test, not ordering: several 10 ms
            // intervals pass with nothing noted, and none may run the step.
            try await Task.sleep(for: .milliseconds(80))
            XCTAssertEqual(steps.withLock { $0 }, 0, "nothing noted: no step")
            upkeep.note(7)
            try await wait(for: 1)
            try await Task.sleep(for: .milliseconds(80))
            XCTAssertEqual(steps.withLock { $0 }, 1, "one step for what was noted, failed or not")
            upkeep.note(1)
            try await wait(for: 2)
            group.cancelAll()
        }
        XCTAssertTrue(lines.all.contains { $0.contains("test-upkeep failed") }, "the failure is logged")
    }
}
