@testable import Postgres
import XCTest

/// The non-blocking exchange's state machine, driven by a scripted connection.
final class PostgresExchangeTests: XCTestCase {
    /// Plays back what libpq would answer: flush results, reads that make data available,
    /// and the results the server sent.
    struct ScriptedIO: PostgresExchangeIO {
        typealias Result = String

        var startSucceeds = true
        /// Answers of successive `flush` calls (0 once exhausted).
        var flushes: [Int32] = []
        /// Per `consumeInput` call: whether it succeeds, and how many results it makes ready.
        var reads: [(ok: Bool, results: Int)] = []
        /// Results in arrival order; "error:STATE" is a server error, "copy" a COPY start.
        var pending: [String] = []
        var ready = 0
        var lost = false
        var discarded: [String] = []
        var calls: [String] = []

        mutating func start() -> Bool { calls.append("start"); return startSucceeds }

        mutating func flush() -> Int32 {
            calls.append("flush")
            return flushes.isEmpty ? 0 : flushes.removeFirst()
        }

        mutating func consumeInput() -> Bool {
            calls.append("consume")
            guard !reads.isEmpty else { return true }
            let read = reads.removeFirst()
            if !read.ok {
                lost = true
                pending = ["error:08006"]
                ready = 1
                return false
            }
            ready += read.results
            return true
        }

        mutating func isBusy() -> Bool { !lost && ready == 0 && !pending.isEmpty }

        mutating func nextResult() -> String? {
            guard !pending.isEmpty else { return nil }
            ready = max(0, ready - 1)
            return pending.removeFirst()
        }

        mutating func inspect(_ result: String) -> PostgresExchangeOutcome {
            if result == "copy" { return .abandon(PostgresError(.invalidArgument, "copy")) }
            if result.hasPrefix("error:") {
                return .failed(PostgresError(PostgresError.Code(.query, sqlState: String(result.dropFirst(6))), "rejected"))
            }
            return .succeeded
        }

        mutating func discard(_ result: String) { discarded.append(result) }
        mutating func startFailure() -> PostgresError { PostgresError(.connection, "not sent") }
        mutating func connectionFailure(_ message: String) -> PostgresError { PostgresError(.connection, message) }
    }

    typealias Exchange = PostgresExchange<ScriptedIO>

    /// Advances until the exchange finishes, recording each wait; fails after 20 steps.
    private func drive(_ io: inout ScriptedIO, _ exchange: inout Exchange) -> (waits: [String], end: Exchange.Action?) {
        var waits: [String] = []
        for _ in 0..<20 {
            let action = exchange.advance(&io)
            switch action {
            case .waitReadable: waits.append("read")
            case .waitWritable: waits.append("write")
            case .succeeded, .failed: return (waits, action)
            }
        }
        return (waits, nil)
    }

    func testWaitsForTheAnswerThenKeepsTheFirstResult() {
        var io = ScriptedIO(reads: [(true, 0), (true, 1)], pending: ["rows"])
        var exchange = Exchange()
        let (waits, end) = drive(&io, &exchange)
        XCTAssertEqual(waits, ["read", "read"], "a wake-up may find nothing yet: wait again")
        XCTAssertEqual(Array(io.calls.prefix(2)), ["start", "flush"], "no read before the first wait")
        guard case .succeeded(let result)? = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(result, "rows")
        XCTAssertTrue(exchange.isFinished)
        XCTAssertEqual(io.discarded, [])
    }

    func testAFullSocketWaitsForWritableAndReadsMeanwhile() {
        var io = ScriptedIO(flushes: [1, 1, 0], reads: [(true, 0), (true, 0), (true, 1)], pending: ["rows"])
        var exchange = Exchange()
        let (waits, end) = drive(&io, &exchange)
        XCTAssertEqual(waits, ["write", "write", "read"])
        XCTAssertEqual(Array(io.calls.prefix(5)), ["start", "flush", "consume", "flush", "consume"])
        guard case .succeeded? = end else { return XCTFail("\(String(describing: end))") }
    }

    func testTheFirstErrorWinsAndEveryOtherResultIsCleared() {
        var io = ScriptedIO(reads: [(true, 3)], pending: ["rows", "error:22012", "error:XX000"])
        var exchange = Exchange()
        let (_, end) = drive(&io, &exchange)
        guard case .failed(let error)? = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(error.sqlState, "22012")
        XCTAssertEqual(Set(io.discarded), ["rows", "error:22012", "error:XX000"], "nothing leaks")
    }

    func testARefusedSendFailsWithoutWaiting() {
        var io = ScriptedIO(startSucceeds: false, pending: ["rows"])
        var exchange = Exchange()
        let (waits, end) = drive(&io, &exchange)
        XCTAssertEqual(waits, [])
        guard case .failed(let error)? = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(error.message, "not sent")
        XCTAssertEqual(io.calls, ["start"])
    }

    func testAFailedFlushFails() {
        var io = ScriptedIO(flushes: [-1], pending: ["rows"])
        var exchange = Exchange()
        let (_, end) = drive(&io, &exchange)
        guard case .failed(let error)? = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(error.code.kind, .connection)
    }

    func testALostConnectionEndsWithTheErrorLibpqReports() {
        var io = ScriptedIO(reads: [(true, 0), (false, 0)], pending: ["rows"])
        var exchange = Exchange()
        let (waits, end) = drive(&io, &exchange)
        XCTAssertEqual(waits, ["read", "read"])
        guard case .failed(let error)? = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(error.sqlState, "08006")
        XCTAssertFalse(exchange.abandoned)
    }

    func testACopyResultAbandonsTheExchange() {
        var io = ScriptedIO(reads: [(true, 2)], pending: ["rows", "copy", "more"])
        var exchange = Exchange()
        let (_, end) = drive(&io, &exchange)
        guard case .failed(let error)? = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(error.message, "copy")
        XCTAssertTrue(exchange.abandoned, "the driver must close the connection")
        XCTAssertEqual(io.discarded, ["copy", "rows"])
    }

    func testNoResultIsAProtocolFailure() {
        var io = ScriptedIO()
        var exchange = Exchange()
        let (_, end) = drive(&io, &exchange)
        guard case .failed(let error)? = end else { return XCTFail("\(String(describing: end))") }
        XCTAssertEqual(error.message, "the server sent no result")
    }

    func testAdvancingAFinishedExchangeFails() {
        var io = ScriptedIO(reads: [(true, 1)], pending: ["rows"])
        var exchange = Exchange()
        _ = drive(&io, &exchange)
        guard case .failed = exchange.advance(&io) else { return XCTFail("a finished exchange must not run again") }
        XCTAssertEqual(io.calls.filter { $0 == "start" }.count, 1)
    }
}
