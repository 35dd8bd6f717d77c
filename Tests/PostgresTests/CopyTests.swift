import Postgres
import XCTest

final class CopyTests: PostgresTestCase {
    func testCopyInLoadsRows() async throws {
        let pool = try makePool()
        try await pool.execute("CREATE TABLE events (id int8, payload jsonb, note text)")
        let copied = try await pool.withConnection { connection in
            try connection.copyIn("COPY events (id, payload, note) FROM STDIN",
                                  rows: (1...20_000).lazy.map { "\($0)\t{\"n\": \($0)}\tnote \\\\ tab\\t\($0)" })
        }
        XCTAssertEqual(copied, 20_000)
        let summary = try await pool.query(
            "SELECT count(*), sum((payload->>'n')::int8), max(note) FILTER (WHERE id = 7) FROM events")[0]
        XCTAssertEqual(try summary.decode(0, as: Int.self), 20_000)
        XCTAssertEqual(try summary.decode(1, as: Int.self), 20_000 * 20_001 / 2)
        XCTAssertEqual(try summary.decode(2, as: String.self), "note \\ tab\t7")
    }

    func testCopyInCSVChunks() async throws {
        let pool = try makePool()
        try await pool.execute("CREATE TABLE csv_rows (a text, b int)")
        let copied = try await pool.withConnection { connection in
            try connection.copyIn("COPY csv_rows FROM STDIN (FORMAT csv)",
                                  chunks: [Array("\"x,y\",1\n\"q\"\"uote\",".utf8), Array("2\n".utf8)])
        }
        XCTAssertEqual(copied, 2)
        let rows = try await pool.query("SELECT a FROM csv_rows ORDER BY b")
        XCTAssertEqual(try rows.map { try $0.decode(0, as: String.self) }, ["x,y", "q\"uote"])
    }

    func testBadRowAbortsTheWholeCopy() async throws {
        let pool = try makePool(poolSize: 1)
        try await pool.execute("CREATE TABLE strict_rows (n int)")
        let error = await expectPostgresError {
            try await pool.withConnection { connection in
                try connection.copyIn("COPY strict_rows FROM STDIN", rows: ["1", "2", "not-a-number", "4"])
            }
        }
        XCTAssertEqual(error?.sqlState, "22P02")
        XCTAssertFalse(error?.internalDetail?.contains("not-a-number") ?? false)
        let count = try await pool.query("SELECT count(*) FROM strict_rows")[0].decode(0, as: Int.self)
        XCTAssertEqual(count, 0)
    }

    func testCopyThroughQueryIsRefusedWithoutHanging() async throws {
        let pool = try makePool(poolSize: 1)
        try await pool.execute("CREATE TABLE copy_target (n int)")
        let copyIn = await expectPostgresError { try await pool.execute("COPY copy_target FROM STDIN") }
        XCTAssertEqual(copyIn?.code.kind, .invalidArgument)
        let copyOut = await expectPostgresError { try await pool.query("COPY (SELECT 1) TO STDOUT") }
        XCTAssertEqual(copyOut?.code.kind, .invalidArgument)
        let scripted = await expectPostgresError {
            try await pool.withConnection { try $0.executeScript("COPY (SELECT 1) TO STDOUT") }
        }
        XCTAssertEqual(scripted?.code.kind, .invalidArgument)
        let value = try await pool.query("SELECT 5")[0].decode(0, as: Int.self)
        XCTAssertEqual(value, 5)
    }

    func testCopyInRejectsOtherStatements() async throws {
        let pool = try makePool(poolSize: 1)
        let error = await expectPostgresError {
            try await pool.withConnection { try $0.copyIn("SELECT 1", rows: ["x"]) }
        }
        XCTAssertEqual(error?.code.kind, .invalidArgument)
        let value = try await pool.query("SELECT 1")[0].decode(0, as: Int.self)
        XCTAssertEqual(value, 1)
    }
}
