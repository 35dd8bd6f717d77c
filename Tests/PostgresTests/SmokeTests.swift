import Postgres
import XCTest

final class SmokeTests: PostgresTestCase {
    func testSelectOne() async throws {
        let pool = try makePool()
        let rows = try await pool.query("SELECT 1 AS one, $1::text AS two", ["x"])
        XCTAssertEqual(rows.columnNames, ["one", "two"])
        XCTAssertEqual(try rows.first?.decode(0, as: Int.self), 1)
        XCTAssertEqual(try rows.first?.decode("two", as: String.self), "x")
    }
}
