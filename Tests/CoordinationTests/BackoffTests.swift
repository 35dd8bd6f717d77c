import Coordination
import TestSupport
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

    func testAJitteredPauseStaysBetweenHalfAndAllOfTheDelayAndVaries() {
        var random = SplitMix64(state: 7)
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(8))
        var seen: Set<Duration> = []
        for expected in [Duration.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)] {
            let pause = backoff.nextJittered(using: &random)
            XCTAssertGreaterThanOrEqual(pause, expected / 2)
            XCTAssertLessThanOrEqual(pause, expected)
            seen.insert(pause)
        }
        XCTAssertGreaterThan(seen.count, 4, "the pauses are spread, not all the same")
        XCTAssertEqual(backoff.delay, .seconds(8), "jitter does not change the doubling")
    }
}
