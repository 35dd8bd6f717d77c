import XCTest
@testable import HTTP

final class OutputBackpressureTests: XCTestCase {
    func testProceedsUpToTheLimitAndHoldsAboveIt() {
        var backpressure = OutputBackpressure(limit: 1000)
        XCTAssertTrue(backpressure.mayProceed(pending: 0))
        XCTAssertTrue(backpressure.mayProceed(pending: 1000))
        XCTAssertFalse(backpressure.isHolding)
        XCTAssertFalse(backpressure.mayProceed(pending: 1001))
        XCTAssertTrue(backpressure.isHolding)
    }

    func testHoldsUntilTheClientHasTakenAllButHalf() {
        var backpressure = OutputBackpressure(limit: 1000)
        XCTAssertFalse(backpressure.mayProceed(pending: 5000))
        // Back under the limit is not enough: it waits for half, so it resumes in large steps.
        XCTAssertFalse(backpressure.drained(pending: 900))
        XCTAssertFalse(backpressure.mayProceed(pending: 900))
        XCTAssertFalse(backpressure.drained(pending: 501))
        XCTAssertTrue(backpressure.isHolding)
        XCTAssertTrue(backpressure.drained(pending: 500))
        XCTAssertFalse(backpressure.isHolding)
        XCTAssertTrue(backpressure.mayProceed(pending: 500))
    }

    func testDrainingWithoutAHoldResumesNothing() {
        var backpressure = OutputBackpressure(limit: 1000)
        XCTAssertTrue(backpressure.mayProceed(pending: 800))
        XCTAssertFalse(backpressure.drained(pending: 0), "only the end of a hold asks the connection to go on")
    }

    func testZeroLimitTakesOneStepAtATime() {
        var backpressure = OutputBackpressure(limit: -5)
        XCTAssertEqual(backpressure.limit, 0)
        XCTAssertTrue(backpressure.mayProceed(pending: 0))
        XCTAssertFalse(backpressure.mayProceed(pending: 1))
        XCTAssertFalse(backpressure.drained(pending: 1))
        XCTAssertTrue(backpressure.drained(pending: 0))
    }
}
