import Foundation
import Postgres
import XCTest

final class QueryTests: PostgresTestCase {
    func testHostileParametersRoundTripExactly() async throws {
        let pool = try makePool()
        try await pool.execute("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")
        let hostile = [
            "O'Reilly", "'; DROP TABLE notes; --", "\"double\" and \\backslash\\", "$1 $2 ? %s {}",
            "emoji 🧪👩🏽‍💻, accents é ñ ü, CJK 漢字, RTL עברית", "line\nbreak\ttab\r", "",
            String(repeating: "long ✓ ", count: 150_000),
        ]
        for value in hostile {
            let rows = try await pool.query("INSERT INTO notes (body) VALUES ($1) RETURNING body", [value])
            XCTAssertEqual(try rows[0].decode(0, as: String.self), value)
        }
        let count = try await pool.query("SELECT count(*) FROM notes")[0].decode(0, as: Int.self)
        XCTAssertEqual(count, hostile.count, "the table survived and holds every value")
        let found = try await pool.query("SELECT count(*) FROM notes WHERE body = $1", ["'; DROP TABLE notes; --"])
        XCTAssertEqual(try found[0].decode(0, as: Int.self), 1)
    }

    func testNULInParameterIsRejectedBeforeSending() async throws {
        let pool = try makePool()
        let error = await expectPostgresError { try await pool.query("SELECT $1::text", ["a\u{0}b"]) }
        XCTAssertEqual(error?.code.kind, .invalidArgument)
    }

    func testDecodesEverySupportedType() async throws {
        let pool = try makePool()
        let id = UUID()
        let bytes = (0...255).map { UInt8($0) }
        let date = Date(timeIntervalSince1970: 1_715_000_000.123456)
        let rows = try await pool.query("""
            SELECT $1::text AS s, $2::int8 AS i, $3::int4 AS i4, $4::float8 AS d, $5::bool AS b,
                   $6::uuid AS u, $7::timestamptz AS t, $8::bytea AS bin, $9::jsonb AS j,
                   NULL::text AS ns, NULL::int8 AS ni, NULL::uuid AS nu, NULL::bytea AS nb,
                   2147483647::int4 AS maxi4, '-9223372036854775808'::int8 AS mini8, 1.5::float4 AS f4,
                   'NaN'::float8 AS nan, '-Infinity'::float8 AS ninf, 'f'::bool AS fb,
                   '2001-02-03 04:05:06.789+02'::timestamptz AS offset_time, 'infinity'::timestamptz AS forever,
                   '2024-02-29'::date AS leap_day, '1999-12-31 23:59:59.5'::timestamp AS local_time
            """, ["héllo", Int.max, Int32.min, 3.141592653589793, true, id, date, bytes,
                  PostgresJSON(text: #"{"a": [1, 2, {"b": "ü"}]}"#)])
        let row = try XCTUnwrap(rows.first)
        XCTAssertEqual(try row.decode("s", as: String.self), "héllo")
        XCTAssertEqual(try row.decode("i", as: Int.self), Int.max)
        XCTAssertEqual(try row.decode("i", as: Int64.self), Int64.max)
        XCTAssertEqual(try row.decode("i4", as: Int32.self), Int32.min)
        XCTAssertEqual(try row.decode("d", as: Double.self), 3.141592653589793)
        XCTAssertEqual(try row.decode("b", as: Bool.self), true)
        XCTAssertEqual(try row.decode("fb", as: Bool.self), false)
        XCTAssertEqual(try row.decode("u", as: UUID.self), id)
        XCTAssertEqual(try row.decode("t", as: Date.self).timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 1e-6)
        XCTAssertEqual(try row.decode("bin", as: [UInt8].self), bytes)
        XCTAssertEqual(try row.decode("bin", as: Data.self), Data(bytes))
        let json = try row.decode("j", as: PostgresJSON.self)
        XCTAssertEqual(json.text, #"{"a": [1, 2, {"b": "ü"}]}"#, "jsonb is normalised by the server")
        XCTAssertNil(try row.decode("ns", as: String?.self))
        XCTAssertNil(try row.decodeIfPresent("ni", as: Int.self))
        XCTAssertNil(try row.decodeIfPresent("nu", as: UUID.self))
        XCTAssertNil(try row.decodeIfPresent("nb", as: [UInt8].self))
        XCTAssertEqual(try row.decodeIfPresent("s", as: String.self), "héllo")
        XCTAssertTrue(try row.isNull(9))
        XCTAssertEqual(try row.decode("maxi4", as: Int32.self), Int32.max)
        XCTAssertEqual(try row.decode("mini8", as: Int.self), Int.min)
        XCTAssertEqual(try row.decode("f4", as: Double.self), 1.5)
        XCTAssertTrue(try row.decode("nan", as: Double.self).isNaN)
        XCTAssertEqual(try row.decode("ninf", as: Double.self), -.infinity)
        XCTAssertEqual(try row.decode("offset_time", as: Date.self).timeIntervalSince1970, 981_165_906.789, accuracy: 1e-6)
        XCTAssertEqual(try row.decode("forever", as: Date.self), .distantFuture)
        XCTAssertEqual(try row.decode("leap_day", as: Date.self).timeIntervalSince1970, 1_709_164_800)
        XCTAssertEqual(try row.decode("local_time", as: Date.self).timeIntervalSince1970, 946_684_799.5, accuracy: 1e-6)
    }

    func testTypedColumnsRoundTripThroughATable() async throws {
        let pool = try makePool()
        try await pool.execute("""
            CREATE TABLE typed (id uuid PRIMARY KEY, name text, amount int8, ratio float8, active bool,
                                created timestamptz, payload bytea, doc jsonb, note text)
            """)
        let id = UUID()
        let created = Date(timeIntervalSince1970: -1_234_567_890.654321)
        let payload = Data([0, 1, 0x5c, 0x78, 0x27, 0xff])
        let note: String? = nil
        try await pool.execute("INSERT INTO typed VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                               [id, "Zoë", -42, 0.1, false, created, payload, PostgresJSON(text: #"{"k":"v"}"#), note])
        let row = try await pool.query("SELECT * FROM typed WHERE id = $1", [id])[0]
        XCTAssertEqual(try row.decode("id", as: UUID.self), id)
        XCTAssertEqual(try row.decode("name", as: String.self), "Zoë")
        XCTAssertEqual(try row.decode("amount", as: Int.self), -42)
        XCTAssertEqual(try row.decode("ratio", as: Double.self), 0.1)
        XCTAssertEqual(try row.decode("active", as: Bool.self), false)
        XCTAssertEqual(try row.decode("created", as: Date.self).timeIntervalSince1970, created.timeIntervalSince1970,
                       accuracy: 1e-6)
        XCTAssertEqual(try row.decode("payload", as: Data.self), payload)
        XCTAssertEqual(try row.decode("doc", as: PostgresJSON.self).decode([String: String].self), ["k": "v"])
        XCTAssertNil(try row.decode("note", as: String?.self))
        // The server sees the real types, not strings that look like them.
        let types = try await pool.query("SELECT pg_typeof(created)::text, octet_length(payload) FROM typed")[0]
        XCTAssertEqual(try types.decode(0, as: String.self), "timestamp with time zone")
        XCTAssertEqual(try types.decode(1, as: Int.self), payload.count)
    }

    func testDecodingMismatchesAreErrorsNotCrashes() async throws {
        let pool = try makePool()
        let row = try await pool.query(
            "SELECT 'abc'::text AS word, gen_random_uuid() AS id, NULL::int4 AS missing, 3.5::float8 AS real, 7 AS n")[0]
        for attempt in [
            { _ = try row.decode("word", as: Int.self) },
            { _ = try row.decode("id", as: Int.self) },
            { _ = try row.decode("missing", as: Int.self) },
            { _ = try row.decode("real", as: Int.self) },
            { _ = try row.decode("n", as: UUID.self) },
            { _ = try row.decode("n", as: Bool.self) },
            { _ = try row.decode("word", as: [UInt8].self) },
            { _ = try row.decode("word", as: Date.self) },
            { _ = try row.decode("nope", as: String.self) },
            { _ = try row.decode(99, as: String.self) },
        ] as [() throws -> Void] {
            XCTAssertThrowsError(try attempt()) { error in
                XCTAssertEqual((error as? PostgresError)?.code.kind, .decoding)
                XCTAssertFalse("\(error)".contains("abc"), "decoding errors do not show values")
            }
        }
    }

    func testServerErrorsCarrySQLStateAndAffectedRows() async throws {
        let pool = try makePool()
        try await pool.execute("CREATE TABLE people (email text UNIQUE)")
        let value1 = try await pool.execute("INSERT INTO people VALUES ($1), ($2)", ["a@x", "b@x"])
        XCTAssertEqual(value1, 2)
        let duplicate = await expectPostgresError {
            try await pool.execute("INSERT INTO people VALUES ($1)", ["a@x"])
        }
        XCTAssertEqual(duplicate?.sqlState, "23505")
        XCTAssertTrue(duplicate?.isUniqueViolation ?? false)
        XCTAssertEqual(duplicate?.clienteleError.code, .conflict)
        XCTAssertEqual(duplicate?.context["constraint"], "people_email_key")
        let syntax = await expectPostgresError { try await pool.query("SELEKT 1") }
        XCTAssertEqual(syntax?.sqlState, "42601")
        XCTAssertEqual(syntax?.clienteleError.code, .internal)
        let value2 = try await pool.execute("UPDATE people SET email = email || $1", ["!"])
        XCTAssertEqual(value2, 2)
        let value3 = try await pool.query("SELECT email FROM people ORDER BY 1").map { try $0.decode(0, as: String.self) }
        XCTAssertEqual(value3,
                       ["a@x!", "b@x!"])
    }

    /// Rows handed over in place are the same cells `query` copies: text forms, NULL as nil,
    /// in order, inside a transaction as outside.
    func testRowsInPlaceHoldTheCellsQueryReads() async throws {
        let pool = try makePool(poolSize: 1)
        let sql = "SELECT i, CASE WHEN i % 2 = 0 THEN NULL ELSE 'Zoë ' || i END, i::text || ',x' FROM generate_series(1, 5) AS i"
        let copied = try await pool.query(sql).map { row in try (0..<3).map { try row.text($0) } }
        let inPlace = try await pool.withTransaction { connection in
            var cells: [[String?]] = []
            let count = try connection.forEachRow(sql, prepared: false) { row in
                XCTAssertEqual(row.columnCount, 3)
                cells.append((0..<3).map { column in row.bytes(column).map { String(decoding: $0, as: UTF8.self) } })
            }
            XCTAssertEqual(count, 5)
            return cells
        }
        XCTAssertEqual(inPlace, copied)
        XCTAssertEqual(inPlace[1], ["2", nil, "2,x"])
        XCTAssertEqual(inPlace[0][1], "Zoë 1")
    }
}
