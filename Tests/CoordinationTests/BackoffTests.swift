import Coordination
import XCTest

final class BackoffTests: XCTestCase {
    func testDoublesUpToTheMaximumAndStartsOverAfterASuccess() {
        var backoff = Backoff(initial: .milliseconds(100))
        XCTAssertEqual((0..<8).map { _ in backoff.next() },
                       [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                        .milliseconds(1600), .milliseconds(3200), .seconds(5), .seconds(5)])
        backoff.reset()
        XCTAssertEqual(backoff.next(), .milliseconds(100))

        var capped = Backoff(initial: .milliseconds(500), maximum: .seconds(1))
        XCTAssertEqual([capped.next(), capped.next(), capped.next()], [.milliseconds(500), .seconds(1), .seconds(1)])
    }

    func testAPauseEndsWhenItsTaskIsCancelled() async {
        let start = ContinuousClock.now
        let pausing = Task {
            var backoff = Backoff(initial: .seconds(30), maximum: .seconds(30))
            await backoff.pause()
            return backoff.delay
        }
        pausing.cancel()
        let after = await pausing.value
        // A correctness bound, not a performance claim: the uncancelled pause is 30 s.
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(15))
        XCTAssertEqual(after, .seconds(30), "the pause still counts as taken")
    }
}
