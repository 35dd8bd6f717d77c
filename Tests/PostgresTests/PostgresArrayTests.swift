import Foundation
import Postgres
import XCTest

final class PostgresArrayTests: PostgresTestCase {
    /// Every element comes back exactly, in order, through unnest: quotes, backslashes,
    /// commas, braces, the word NULL, empty text; nil is SQL NULL.
    func testHostileElementsRoundTripThroughUnnest() async throws {
        let pool = try makePool()
        let texts: [String?] = ["plain", "\"double\" and \\backslash\\", "a,b", "{x}", "NULL", "", nil, "emoji 🧪 ✓", "line\nbreak"]
        let rows = try await pool.query("SELECT t, n FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS u(t, n, i) ORDER BY i",
                                        [PostgresArray(texts), PostgresArray(texts.indices.map { Int64($0) })])
        XCTAssertEqual(rows.count, texts.count)
        for (row, (index, text)) in zip(rows, texts.enumerated()) {
            XCTAssertEqual(try row.decodeIfPresent(0, as: String.self), text)
            XCTAssertEqual(try row.decode(1, as: Int64.self), Int64(index))
        }
        let empty = try await pool.query("SELECT cardinality($1::uuid[])", [PostgresArray([])])
        XCTAssertEqual(try empty[0].decode(0, as: Int.self), 0)
    }
}
