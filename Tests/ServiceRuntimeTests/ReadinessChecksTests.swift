import Synchronization
import XCTest
@testable import ServiceRuntime

/// /readyz's checks call other services: however many callers ask, they run at most once per
/// `maxAge` (the finding: every unauthenticated /readyz fanned out to every upstream).
final class ReadinessChecksTests: XCTestCase {
    func testManyCallersShareOneEvaluationWithinItsAge() async throws {
        let readiness = ReadinessChecks()
        let runs = Mutex(0)
        readiness.add("upstream") { runs.withLock { $0 += 1 } }
        let logger = Logger(service: "test", level: .error, sink: LogSink { _ in })
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 { group.addTask { await readiness.recentEvaluation(maxAge: .seconds(60), logger: logger).ready } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(outcomes.count, 200)
        XCTAssertTrue(outcomes.allSatisfy { $0 })
        XCTAssertEqual(runs.withLock { $0 }, 1)

        // Past its age the next caller starts a new evaluation; draining shows at once.
        _ = await readiness.recentEvaluation(maxAge: .zero, logger: logger)
        XCTAssertEqual(runs.withLock { $0 }, 2)
        readiness.beginDraining()
        let draining = await readiness.recentEvaluation(maxAge: .seconds(60), logger: logger)
        XCTAssertFalse(draining.ready)
        XCTAssertEqual(draining.results["shutdown"], "draining")
        XCTAssertEqual(runs.withLock { $0 }, 2)
    }
}
