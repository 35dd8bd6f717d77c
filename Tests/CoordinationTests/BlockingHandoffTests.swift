import Coordination
import Dispatch
import Synchronization
import TestSupport
import XCTest

final class BlockingHandoffTests: XCTestCase {
    struct Failed: Error {}

    /// Runs `produce` on a thread of its own (as a connection's queue would), its outcome kept.
    final class Producer: Sendable {
        let done = OneShotEvent()
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let handed = Mutex(0)

        init(_ produce: @escaping @Sendable (Producer) throws -> Void) {
            DispatchQueue.global().async {
                let result = Result { try produce(self) }
                self.outcome.withLock { $0 = result }
                self.done.signal()
            }
        }
    }

    func testTheConsumerGetsEveryElementInOrderThenTheEnd() async throws {
        let handoff = BlockingHandoff<Int>(capacity: 1)
        _ = Producer { _ in
            for element in 0..<100 { try handoff.put(element) }
            handoff.finish()
        }
        var received: [Int] = []
        while let element = try await handoff.next() { received.append(element) }
        XCTAssertEqual(received, Array(0..<100))
        let end = try await handoff.next()
        XCTAssertNil(end, "the end stays the end")
    }

    /// The producer's thread blocks while `capacity` elements wait untaken (backpressure).
    func testAProducerBlocksWhileCapacityElementsWaitUntaken() async throws {
        let handoff = BlockingHandoff<Int>(capacity: 2)
        let producer = Producer { producer in
            for element in 0..<10 {
                try handoff.put(element)
                producer.handed.withLock { $0 += 1 }
            }
            handoff.finish()
        }
        try await eventually("two elements handed over") { producer.handed.withLock { $0 } == 2 }
        // It stays blocked on the third while nothing is taken.
        for _ in 0..<20 { await Task.yield() }
        XCTAssertEqual(producer.handed.withLock { $0 }, 2)
        XCTAssertFalse(producer.done.isSignaled)
        let first = try await handoff.next()
        XCTAssertEqual(first, 0)
        try await eventually("taking one makes room for one") { producer.handed.withLock { $0 } == 3 }
        var rest: [Int] = []
        while let element = try await handoff.next() { rest.append(element) }
        XCTAssertEqual(rest, Array(1..<10))
    }

    /// The consumer's `close` wakes a blocked producer, whose `put` throws, and every later `put`
    /// throws at once: a consumer that goes away never leaves the producer's thread blocked.
    func testClosingWakesABlockedProducerWithClosed() async throws {
        let handoff = BlockingHandoff<Int>(capacity: 1)
        let producer = Producer { producer in
            for element in 0... {
                try handoff.put(element)
                producer.handed.withLock { $0 += 1 }
            }
        }
        try await eventually("the producer blocks on its second element") { producer.handed.withLock { $0 } == 1 }
        handoff.close()
        await producer.done.wait()
        let outcome = producer.outcome.withLock { $0 }
        guard case .failure(let error) = outcome else { return XCTFail("the blocked put returned: \(String(describing: outcome))") }
        XCTAssertTrue(error is BlockingHandoff<Int>.Closed, "\(error)")
        XCTAssertThrowsError(try handoff.put(9)) { XCTAssertTrue($0 is BlockingHandoff<Int>.Closed) }
        let after = try await handoff.next()
        XCTAssertNil(after, "a closed handoff hands nothing more")
    }

    /// A producer's failure reaches the consumer after the elements handed before it.
    func testAProducerFailureArrivesAfterItsElements() async throws {
        let handoff = BlockingHandoff<Int>(capacity: 1)
        _ = Producer { _ in
            try handoff.put(1)
            handoff.finish(throwing: Failed())
        }
        let first = try await handoff.next()
        XCTAssertEqual(first, 1)
        do {
            _ = try await handoff.next()
            XCTFail("the failure was not thrown")
        } catch {
            XCTAssertTrue(error is Failed, "\(error)")
        }
    }
}
