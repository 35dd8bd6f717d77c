import Postgres
import XCTest

final class PreparedStatementTests: PostgresTestCase {
    func testSameStatementManyTimesIsPreparedOnce() async throws {
        let pool = try makePool(poolSize: 1)
        let sum = try await pool.withConnection { connection in
            var sum = 0
            for value in 0..<300 {
                sum += try connection.query("SELECT $1::int8 + 1", [value])[0].decode(0, as: Int.self)
            }
            return sum
        }
        XCTAssertEqual(sum, (1...300).reduce(0, +))
        let prepared = try await pool.query(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", ["SELECT $1::int8 + 1"])
        // The count runs on the same (only) connection: one cached statement, not 300.
        XCTAssertEqual(try prepared[0].decode(0, as: Int.self), 1)
    }

    func testUnpreparedStatementsAreNotCached() async throws {
        let pool = try makePool(poolSize: 1)
        _ = try await pool.withConnection { try $0.query("SELECT $1::text || 'unprepared'", ["x"], prepared: false) }
        let rows = try await pool.query("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%' || 'unprep' || 'ared%'")
        XCTAssertEqual(try rows[0].decode(0, as: Int.self), 0)
    }

    func testCachedStatementSurvivesSchemaChange() async throws {
        let pool = try makePool(poolSize: 1)
        try await pool.execute("CREATE TABLE evolving (a int)")
        try await pool.execute("INSERT INTO evolving VALUES (1)")
        let value1 = try await pool.query("SELECT * FROM evolving").columnNames
        XCTAssertEqual(value1, ["a"])
        try await pool.execute("ALTER TABLE evolving ADD COLUMN b text DEFAULT 'new'")
        let rows = try await pool.query("SELECT * FROM evolving")
        XCTAssertEqual(rows.columnNames, ["a", "b"], "re-prepared after the result type changed")
        XCTAssertEqual(try rows[0].decode("b", as: String.self), "new")

        // Inside a transaction the statement cannot be retried: it fails clearly, then works.
        try await pool.execute("ALTER TABLE evolving ADD COLUMN c int DEFAULT 3")
        let error = await expectPostgresError {
            try await pool.withTransaction { try $0.query("SELECT * FROM evolving") }
        }
        XCTAssertEqual(error?.sqlState, "0A000")
        let value2 = try await pool.query("SELECT * FROM evolving").columnNames
        XCTAssertEqual(value2, ["a", "b", "c"])
    }

    func testFailedPrepareDoesNotPoisonTheCache() async throws {
        let pool = try makePool(poolSize: 1)
        let error = await expectPostgresError { try await pool.query("SELECT * FROM not_yet_there") }
        XCTAssertEqual(error?.sqlState, "42P01")
        try await pool.execute("CREATE TABLE not_yet_there (x int)")
        let value3 = try await pool.query("SELECT * FROM not_yet_there").count
        XCTAssertEqual(value3, 0)
    }

    func testSameSQLWithDifferentParameterTypes() async throws {
        let pool = try makePool(poolSize: 1)
        let asInt = try await pool.query("SELECT $1::text", [5])
        let asString = try await pool.query("SELECT $1::text", ["five"])
        XCTAssertEqual(try asInt[0].decode(0, as: String.self), "5")
        XCTAssertEqual(try asString[0].decode(0, as: String.self), "five")
    }
}
