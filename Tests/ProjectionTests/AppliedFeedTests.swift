import Foundation
import HTTP
import InternalAPI
import Projection
import TestSupport
import XCTest

/// The applied-versions feed as a plain state machine: what a follower reads after each cursor.
final class AppliedFeedTests: XCTestCase {
    private func versions(_ count: Int, version: Int64 = 1) -> [AppliedVersion] {
        (0..<count).map { _ in AppliedVersion(streamId: UUID(), version: version) }
    }

    func testAFollowerStartsAtTheEndAndReadsEachCommitOnce() throws {
        let feed = AppliedFeed()
        feed.published(versions(2))
        let start = try XCTUnwrap(feed.page(after: nil, epoch: nil))
        XCTAssertFalse(start.complete, "a new follower cannot know what came before")
        XCTAssertEqual(start.applied, [])
        XCTAssertNil(feed.page(after: start.next, epoch: start.epoch), "nothing committed since")

        let first = versions(3)
        let second = versions(1, version: 2)
        feed.published(first)
        feed.published([])
        feed.published(second)
        let page = try XCTUnwrap(feed.page(after: start.next, epoch: start.epoch))
        XCTAssertTrue(page.complete)
        XCTAssertEqual(page.applied, first + second)
        XCTAssertEqual(page.next, start.next + 2, "an empty commit takes no number")
        XCTAssertNil(feed.page(after: page.next, epoch: page.epoch))
    }

    func testAnotherEpochAFutureCursorOrAnEvictedOneIsIncomplete() throws {
        let feed = AppliedFeed(capacity: 4)
        let start = try XCTUnwrap(feed.page(after: nil, epoch: nil))
        XCTAssertFalse(try XCTUnwrap(feed.page(after: start.next, epoch: "another-process")).complete)
        XCTAssertFalse(try XCTUnwrap(feed.page(after: start.next + 5, epoch: start.epoch)).complete)

        for _ in 0..<3 { feed.published(versions(2)) }
        let behind = try XCTUnwrap(feed.page(after: start.next, epoch: start.epoch))
        XCTAssertFalse(behind.complete, "the first commit was dropped to keep 4 versions")
        XCTAssertEqual(behind.next, start.next + 3)
        let kept = try XCTUnwrap(feed.page(after: start.next + 1, epoch: start.epoch))
        XCTAssertTrue(kept.complete)
        XCTAssertEqual(kept.applied.count, 4)
    }

    func testAResetTellsEvenAFollowerAtTheEnd() throws {
        let feed = AppliedFeed()
        feed.published(versions(1))
        let start = try XCTUnwrap(feed.page(after: nil, epoch: nil))
        feed.reset()
        let after = try XCTUnwrap(feed.page(after: start.next, epoch: start.epoch))
        XCTAssertFalse(after.complete)
        XCTAssertNil(feed.page(after: after.next, epoch: after.epoch))
        let written = versions(1)
        feed.published(written)
        XCTAssertEqual(feed.page(after: after.next, epoch: after.epoch)?.applied, written)
    }

    func testAPageStopsAtWholeCommitsPastItsLimit() throws {
        let feed = AppliedFeed()
        let start = try XCTUnwrap(feed.page(after: nil, epoch: nil))
        feed.published(versions(AppliedFeed.maxPerPage - 1))
        feed.published(versions(2))
        let first = try XCTUnwrap(feed.page(after: start.next, epoch: start.epoch))
        XCTAssertEqual(first.applied.count, AppliedFeed.maxPerPage - 1)
        let second = try XCTUnwrap(feed.page(after: first.next, epoch: first.epoch))
        XCTAssertEqual(second.applied.count, 2)
    }

    func testAReadWaitsForTheNextCommitOrItsTimeout() async throws {
        let feed = AppliedFeed()
        let start = try XCTUnwrap(feed.page(after: nil, epoch: nil))
        let begun = ContinuousClock.now
        let empty = await feed.read(after: start.next, epoch: start.epoch, timeout: .milliseconds(200))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - begun, .milliseconds(200))
        XCTAssertEqual(empty, AppliedPage(epoch: start.epoch, next: start.next, complete: true, applied: []))

        let written = versions(1, version: 7)
        let waited = ContinuousClock.now
        async let page = feed.read(after: start.next, epoch: start.epoch, timeout: .seconds(60))
        try await eventually("the read waits for a commit") { feed.waitingReads == 1 }
        feed.published(written)
        let answered = await page
        XCTAssertEqual(answered.applied, written)
        // A correctness bound, not a performance claim: the read's timeout is 60 s.
        XCTAssertLessThan(ContinuousClock.now - waited, .seconds(30), "woken by the commit, not its timeout")
    }

    func testThePageRoundTripsThroughItsJSON() throws {
        let page = AppliedPage(epoch: "e1", next: 42, complete: true, applied: versions(2, version: 3))
        let text = page.internalJSON.serialized()
        XCTAssertEqual(try AppliedPage(internalJSON: JSONParser.parse(text)), page)
        XCTAssertThrowsError(try AppliedPage(internalJSON: JSONParser.parse(Array(#"{"epoch":"e","next":1,"complete":true,"applied":[["not-a-uuid",1]]}"#.utf8))))
    }
}
