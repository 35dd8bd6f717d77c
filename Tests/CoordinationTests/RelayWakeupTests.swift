import Coordination
import TestSupport
import XCTest

/// The bounds on elapsed time below are correctness bounds, not performance claims: each
/// separates a wait ended by a signal or cancellation from one that ran to its timeout, with
/// a timeout far longer than the bound. Lower bounds (a wait lasting at least its timeout)
/// cannot be broken by a slow machine.
final class RelayWakeupTests: XCTestCase {
    func testASignalBeforeTheWaitIsNotLost() async {
        let wake = RelayWakeup()
        wake.signal()
        let start = ContinuousClock.now
        await wake.wait(upTo: .seconds(60))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(30), "the remembered signal ended the wait, not its 60 s timeout")
    }

    func testAClearedSignalNoLongerEndsTheWait() async {
        let wake = RelayWakeup()
        wake.signal()
        wake.clear()
        let start = ContinuousClock.now
        await wake.wait(upTo: .milliseconds(100))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(90))
    }

    func testWaitEndsAtTheTimeout() async {
        let wake = RelayWakeup()
        let start = ContinuousClock.now
        await wake.wait(upTo: .milliseconds(100))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(90))
    }

    func testCancellationEndsTheWait() async throws {
        let wake = RelayWakeup()
        let start = ContinuousClock.now
        let task = Task { await wake.wait(upTo: .seconds(60)) }
        try await eventually("the wait is under way") { wake.isWaiting }
        task.cancel()
        await task.value
        XCTAssertFalse(wake.isWaiting)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(30), "cancellation ended the wait, not its 60 s timeout")
    }

    func testASignalWakesAWaiter() async throws {
        let wake = RelayWakeup()
        let start = ContinuousClock.now
        async let waited: Void = wake.wait(upTo: .seconds(60))
        try await eventually("the wait is under way") { wake.isWaiting }
        wake.signal()
        await waited
        XCTAssertFalse(wake.isWaiting)
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(30), "the signal ended the wait, not its 60 s timeout")
    }
}
