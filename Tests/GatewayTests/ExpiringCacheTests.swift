import XCTest
@testable import Gateway

/// The gateway's remembered lookups (verified API keys and sessions, custom-field
/// definitions): expiry, the bound, invalidation, and a lookup that raced an invalidation.
final class ExpiringCacheTests: XCTestCase {
    func testAValueIsRememberedForItsLifetimeOnly() {
        let cache = ExpiringCache<Int, String>(lifetime: .seconds(60), capacity: 10)
        cache.store("one", for: 1)
        XCTAssertEqual(cache.value(for: 1), "one")
        XCTAssertNil(cache.value(for: 2))
        let expired = ExpiringCache<Int, String>(lifetime: .nanoseconds(1), capacity: 10)
        expired.store("one", for: 1)
        XCTAssertNil(expired.value(for: 1), "past its lifetime a value is looked up again")
    }

    func testAZeroLifetimeRemembersNothing() {
        let cache = ExpiringCache<Int, String>(lifetime: .zero, capacity: 10)
        cache.store("one", for: 1)
        XCTAssertNil(cache.value(for: 1))
        XCTAssertEqual(cache.count, 0)
    }

    func testTheCacheIsBoundedAndKeepsTheNewest() {
        let cache = ExpiringCache<Int, Int>(lifetime: .seconds(60), capacity: 100)
        for key in 0..<250 {
            cache.store(key, for: key)
            XCTAssertLessThanOrEqual(cache.count, 100)
        }
        XCTAssertEqual(cache.value(for: 249), 249, "the newest is kept")
        XCTAssertNil(cache.value(for: 0))
    }

    func testInvalidationForgetsAtOnce() {
        let cache = ExpiringCache<Int, String>(lifetime: .seconds(60), capacity: 10)
        for key in 1...4 { cache.store(key.isMultiple(of: 2) ? "even" : "odd", for: key) }
        cache.remove(1)
        XCTAssertNil(cache.value(for: 1))
        cache.invalidate { $0 == "even" }
        XCTAssertEqual([1, 2, 3, 4].map { cache.value(for: $0) }, [nil, nil, "odd", nil])
    }

    /// A lookup that read before an invalidation stores nothing after it: it may have read
    /// what the invalidation's change replaced.
    func testALookupThatRacedAnInvalidationIsNotRemembered() {
        let cache = ExpiringCache<Int, String>(lifetime: .seconds(60), capacity: 10)
        let before = cache.generation
        cache.invalidate { _ in true }
        cache.store("stale", for: 1, readIn: before)
        XCTAssertNil(cache.value(for: 1))
        let after = cache.generation
        cache.store("fresh", for: 1, readIn: after)
        XCTAssertEqual(cache.value(for: 1), "fresh")
        let beforeRemove = cache.generation
        cache.remove(2)
        cache.store("stale", for: 3, readIn: beforeRemove)
        XCTAssertNil(cache.value(for: 3))
    }
}
