import Coordination
import XCTest

final class VersionWaitersTests: XCTestCase {
    /// A park at the waited version or later ends the wait at once, keeping the applied
    /// version read before; a park of another key, or below the version, does not.
    func testParkedKeyEndsTheWaitWithWhatWasRead() async throws {
        let waiters = VersionWaiters<String>()
        let start = ContinuousClock.now
        async let woken = waiters.wait(for: "a", version: 3, timeout: .seconds(5)) { HeldVersion(applied: 1) }
        while waiters.count == 0 {
            guard ContinuousClock.now - start < .seconds(2) else { return XCTFail("the wait never registered") }
            try await Task.sleep(for: .milliseconds(5))
        }
        waiters.parked([(key: "b", version: 9), (key: "a", version: 2)])
        XCTAssertEqual(waiters.count, 1, "a park below the version or of another key wakes nobody")
        waiters.parked([(key: "a", version: 4)])
        let held = try await woken
        XCTAssertEqual(held, HeldVersion(applied: 1, parked: 4))
        XCTAssertTrue(held.settles(3))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        XCTAssertEqual(waiters.count, 0)
    }

    func testAHeldVersionAlreadySettlingReturnsWithoutWaiting() async throws {
        let waiters = VersionWaiters<Int>()
        let held = try await waiters.wait(for: 1, version: 2, timeout: .seconds(5)) { HeldVersion(applied: 2) }
        XCTAssertEqual(held.applied, 2)
        XCTAssertEqual(waiters.count, 0)
    }
}
