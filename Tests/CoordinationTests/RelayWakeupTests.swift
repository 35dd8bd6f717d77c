import Coordination
import XCTest

final class RelayWakeupTests: XCTestCase {
    func testASignalBeforeTheWaitIsNotLost() async {
        let wake = RelayWakeup()
        wake.signal()
        let start = ContinuousClock.now
        await wake.wait(upTo: .seconds(10))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
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

    func testCancellationEndsTheWait() async {
        let wake = RelayWakeup()
        let start = ContinuousClock.now
        let task = Task { await wake.wait(upTo: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await task.value
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
    }

    func testASignalWakesAWaiter() async {
        let wake = RelayWakeup()
        let start = ContinuousClock.now
        async let waited: Void = wake.wait(upTo: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        wake.signal()
        await waited
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5))
    }
}
