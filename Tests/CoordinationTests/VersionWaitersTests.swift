import Coordination
import TestSupport
import XCTest

final class VersionWaitersTests: XCTestCase {
    /// A park at the waited version or later ends the wait at once, keeping the applied
    /// version read before; a park of another key, or below the version, does not.
    func testParkedKeyEndsTheWaitWithWhatWasRead() async throws {
        let waiters = VersionWaiters<String>()
        // A timeout the test never reaches: only the park can end this wait with `parked` set.
        async let woken = waiters.wait(for: "a", version: 3, timeout: .seconds(60)) { HeldVersion(applied: 1) }
        try await eventually("the wait registered") { waiters.count == 1 }
        waiters.parked([(key: "b", version: 9), (key: "a", version: 2)])
        XCTAssertEqual(waiters.count, 1, "a park below the version or of another key wakes nobody")
        waiters.parked([(key: "a", version: 4)])
        let held = try await woken
        // `parked: 4` shows the park woke it: a wait that ran to its timeout returns what it
        // read, with no park.
        XCTAssertEqual(held, HeldVersion(applied: 1, parked: 4))
        XCTAssertTrue(held.settles(3))
        XCTAssertEqual(waiters.count, 0)
    }

    func testAHeldVersionAlreadySettlingReturnsWithoutWaiting() async throws {
        let waiters = VersionWaiters<Int>()
        let held = try await waiters.wait(for: 1, version: 2, timeout: .seconds(5)) { HeldVersion(applied: 2) }
        XCTAssertEqual(held.applied, 2)
        XCTAssertEqual(waiters.count, 0)
    }
}
