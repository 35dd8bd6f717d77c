import Foundation
import Postgres
import Synchronization
import TestSupport
import XCTest

final class ReconnectTests: PostgresTestCase {
    func testPoolRecoversAfterServerRestart() async throws {
        let warnings = Warnings()
        let pool = try makePool(poolSize: 2, logger: { warnings.append($0) })
        try await pool.execute("CREATE TABLE IF NOT EXISTS survivors (x int)")
        // Open both connections so both are stale after the restart.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<2 { group.addTask { try await pool.withConnection { _ = try $0.query("SELECT pg_sleep(0.05)") } } }
            try await group.waitForAll()
        }
        XCTAssertEqual(pool.statistics.open, 2)

        try server.restart()

        for value in 0..<4 {
            try await pool.execute("INSERT INTO survivors VALUES ($1)", [value])
        }
        let count = try await pool.query("SELECT count(*) FROM survivors")[0].decode(0, as: Int.self)
        XCTAssertEqual(count, 4)
        XCTAssertTrue(warnings.all.contains { $0.contains("reconnecting") }, "\(warnings.all)")
    }

    func testTerminatedBackendIsReplaced() async throws {
        let pool = try makePool(poolSize: 1)
        let firstPID = try await pool.query("SELECT pg_backend_pid()")[0].decode(0, as: Int.self)
        let killer = try makePool(poolSize: 1)
        _ = try await killer.query("SELECT pg_terminate_backend($1::int4)", [firstPID])
        try await eventually("the terminated backend is gone") {
            try await killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int4", [firstPID])[0]
                .decode(0, as: Int.self) == 0
        }
        let secondPID = try await pool.query("SELECT pg_backend_pid()")[0].decode(0, as: Int.self)
        XCTAssertNotEqual(firstPID, secondPID)
    }

    func testConnectionBrokenMidStatementFailsThenRecovers() async throws {
        let pool = try makePool(poolSize: 1)
        let killer = try makePool(poolSize: 1)
        let victim = try await pool.query("SELECT pg_backend_pid()")[0].decode(0, as: Int.self)
        async let failing: (any Error)? = {
            do {
                _ = try await pool.query("SELECT pg_sleep(5)")
                return nil
            } catch {
                return error
            }
        }()
        try await eventually("the statement runs on the server") {
            try await killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int4 AND state = 'active'", [victim])[0]
                .decode(0, as: Int.self) == 1
        }
        _ = try await killer.query("SELECT pg_terminate_backend($1::int4)", [victim])
        let error = await failing as? PostgresError
        XCTAssertEqual(error?.clienteleError.code, .unavailable, "\(String(describing: error))")
        let value = try await pool.query("SELECT 3")[0].decode(0, as: Int.self)
        XCTAssertEqual(value, 3)
    }
}

/// Collects logger messages.
final class Warnings: Sendable {
    private let messages = Mutex<[String]>([])
    func append(_ message: String) { messages.withLock { $0.append(message) } }
    var all: [String] { messages.withLock { $0 } }
}
