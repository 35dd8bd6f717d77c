import Foundation
import Synchronization
import XCTest
@testable import Gateway

/// Concurrent loads of one key share one; a failed load is retried by the callers that waited.
final class SharedLoadsTests: XCTestCase {
    final class Tally: Sendable {
        let atomic = Atomic<Int>(0)
        init() {}
        func add() -> Int { atomic.add(1, ordering: .relaxed).newValue }
        var value: Int { atomic.load(ordering: .relaxed) }
    }

    func testCallersWhileALoadRunsGetItsValueWithoutLoading() async throws {
        let loads = SharedLoads<String, Int>()
        let count = Tally()
        let entered = Tally()
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    _ = entered.add()
                    return try await loads.value(for: "key") {
                        _ = count.add()
                        // A load runs until every caller has come: they wait on it (or load too).
                        for _ in 0..<5_000 where entered.value < 40 { try await Task.sleep(for: .milliseconds(1)) }
                        return 7
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(values, Array(repeating: 7, count: 40))
        XCTAssertLessThan(count.value, 40, "callers that came while a load ran shared it")
    }

    func testAFailedLoadIsNotSharedTheWaitingCallersLoadAgain() async throws {
        struct Refused: Error {}
        let loads = SharedLoads<String, Int>()
        let count = Tally()
        let values = try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    try? await loads.value(for: "key") {
                        // The first load fails; any later one answers.
                        if count.add() == 1 {
                            try await Task.sleep(for: .milliseconds(20))
                            throw Refused()
                        }
                        return 3
                    }
                }
            }
            return try await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        XCTAssertEqual(values.filter { $0 == nil }.count, 1, "only the caller whose load failed sees the failure")
        XCTAssertEqual(values.compactMap { $0 }, Array(repeating: 3, count: 9))
    }
}
