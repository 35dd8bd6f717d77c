import Crypto
import EventLog
import Foundation
import Synchronization
import XCTest

final class ClientKeyCacheTests: XCTestCase {
    func testEntriesExpireAfterTheirLifetime() {
        let clock = Mutex(ContinuousClock.now)
        let cache = ClientKeyCache(capacity: 10, lifetime: .seconds(60), now: { clock.withLock { $0 } })
        let id = UUID()
        cache.put(.erased, for: id)
        clock.withLock { $0 += .seconds(59) }
        XCTAssertNotNil(cache.state(of: id))
        clock.withLock { $0 += .seconds(2) }
        XCTAssertNil(cache.state(of: id), "a shred must reach a reader within the lifetime")
    }

    func testNeverHoldsMoreThanItsCapacity() {
        let cache = ClientKeyCache(capacity: 100, lifetime: .seconds(60))
        for _ in 0..<1000 { cache.put(.erased, for: UUID()) }
        XCTAssertLessThanOrEqual(cache.count, 100)
    }

    func testAFullCacheDropsTheOldestAndKeepsTheNewest() {
        let cache = ClientKeyCache(capacity: 100, lifetime: .seconds(60))
        let ids = (0..<250).map { _ in UUID() }
        for id in ids { cache.put(.erased, for: id) }
        XCTAssertEqual(cache.count, 100)
        XCTAssertTrue(ids.suffix(100).allSatisfy { cache.state(of: $0) != nil }, "the last hundred put are held")
        XCTAssertTrue(ids.prefix(150).allSatisfy { cache.state(of: $0) == nil }, "the first put went first")
    }

    func testPuttingHeldStreamsAgainKeepsTheirNewExpiryAndTheBound() {
        let clock = Mutex(ContinuousClock.now)
        let cache = ClientKeyCache(capacity: 10, lifetime: .seconds(60), now: { clock.withLock { $0 } })
        let ids = (0..<10).map { _ in UUID() }
        for id in ids { cache.put(.erased, for: id) }
        clock.withLock { $0 += .seconds(30) }
        for _ in 0..<1_000 { for id in ids { cache.put(.erased, for: id) } }
        XCTAssertEqual(cache.count, 10, "a stream put again is one entry")
        clock.withLock { $0 += .seconds(45) }
        XCTAssertTrue(ids.allSatisfy { cache.state(of: $0) != nil }, "each entry lives a lifetime from its last put")
        cache.put(.erased, for: UUID())
        XCTAssertEqual(cache.count, 10, "a full cache still drops one for a new stream")
    }

    func testCachedSourceAsksOnlyForWhatItDoesNotHoldAndNeverHoldsUnknown() async throws {
        let known = UUID()
        let unknown = UUID()
        let source = FixedKeys(states: [known: .key(AESGCM(key: [UInt8](repeating: 1, count: 32))!)])
        let cached = CachedClientKeys(source: source, cache: ClientKeyCache(capacity: 10, lifetime: .seconds(60)))
        _ = try await cached.keys(for: [known, unknown])
        let states = try await cached.keys(for: [known, unknown])
        guard case .key? = states[known], case .unknown? = states[unknown] else { return XCTFail("\(states)") }
        XCTAssertEqual(source.asked.withLock { $0 }, [known, unknown, unknown])
    }
}
