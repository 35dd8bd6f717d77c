import Postgres
import XCTest

final class PipelineTests: PostgresTestCase {
    override func setUp() async throws {
        try await super.setUp()
        let pool = try makePool(poolSize: 1)
        try await pool.execute("DROP TABLE IF EXISTS queue")
        try await pool.execute("CREATE TABLE queue (id int PRIMARY KEY, body text NOT NULL)")
    }

    func testStatementsRunInOrderAndEachReturnsItsRows() async throws {
        let pool = try makePool(poolSize: 1)
        let results = try await pool.withConnection { connection in
            try connection.pipeline([
                PostgresStatement("INSERT INTO queue VALUES ($1, $2), ($3, $4)", [1, "a", 2, "b"]),
                PostgresStatement("DELETE FROM queue WHERE id = $1", [1]),
                PostgresStatement("SELECT id, body FROM queue ORDER BY id"),
                PostgresStatement("SELECT $1::int + $2::int", [40, 2]),
            ])
        }
        XCTAssertEqual(results.count, 4)
        XCTAssertEqual(results[0].affectedRows, 2)
        XCTAssertEqual(results[1].affectedRows, 1)
        XCTAssertEqual(try results[2].map { try $0.decode(1, as: String.self) }, ["b"], "the read sees the delete before it")
        XCTAssertEqual(try results[3][0].decode(0, as: Int.self), 42)
    }

    func testAFailingStatementRollsBackTheWholePipelineAndSkipsTheRest() async throws {
        let pool = try makePool(poolSize: 1)
        try await pool.execute("INSERT INTO queue VALUES (7, 'kept')")
        let error = await expectPostgresError {
            try await pool.withConnection { connection in
                try connection.pipeline([
                    PostgresStatement("DELETE FROM queue WHERE id = $1", [7]),
                    PostgresStatement("INSERT INTO queue VALUES ($1, $2)", [8, "new"]),
                    PostgresStatement("INSERT INTO queue VALUES ($1, $2)", [8, "duplicate"]),
                    PostgresStatement("INSERT INTO queue VALUES ($1, $2)", [9, "after the error"]),
                ])
            }
        }
        XCTAssertEqual(error?.sqlState, "23505")
        let rows = try await pool.query("SELECT id, body FROM queue ORDER BY id")
        XCTAssertEqual(try rows.map { try $0.decode(0, as: Int.self) }, [7], "nothing of the pipeline was committed")
        // The connection is usable afterwards, in and out of pipelines.
        let after = try await pool.withConnection { connection in
            try connection.pipeline([PostgresStatement("SELECT count(*) FROM queue")])
        }
        XCTAssertEqual(try after[0][0].decode(0, as: Int.self), 1)
        let plain = try await pool.query("SELECT body FROM queue WHERE id = $1", [7])
        XCTAssertEqual(try plain[0].decode(0, as: String.self), "kept")
    }

    func testInsideATransactionThePipelineJoinsIt() async throws {
        let pool = try makePool(poolSize: 1)
        struct Abandon: Error {}
        do {
            try await pool.withTransaction { connection in
                _ = try connection.pipeline([PostgresStatement("INSERT INTO queue VALUES ($1, $2)", [1, "a"])])
                XCTAssertTrue(connection.isInTransaction)
                throw Abandon()
            }
        } catch is Abandon {}
        let rows = try await pool.query("SELECT count(*) FROM queue")
        XCTAssertEqual(try rows[0].decode(0, as: Int.self), 0, "rolled back with the transaction")
    }

    func testStatementsArePreparedOnceAndReused() async throws {
        let pool = try makePool(poolSize: 1)
        let sql = "SELECT $1::int8 * 2 AS doubled"
        let total = try await pool.withConnection { connection in
            var total = 0
            for round in 1...50 {
                // The same text twice in one pipeline: prepared once, by its first use.
                let results = try connection.pipeline([PostgresStatement(sql, [round]), PostgresStatement(sql, [round])])
                total += try results.reduce(0) { $0 + (try $1[0].decode(0, as: Int.self)) }
            }
            // Plain queries share the cache.
            total += try connection.query(sql, [1])[0].decode(0, as: Int.self)
            return total
        }
        XCTAssertEqual(total, 2 * 2 * (1...50).reduce(0, +) + 2)
        let prepared = try await pool.query("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", [sql])
        XCTAssertEqual(try prepared[0].decode(0, as: Int.self), 1)
    }

    /// A statement marked not prepared runs in its place in the pipeline, unnamed, and is
    /// never cached (it is planned for its parameters every time).
    func testAnUnpreparedStatementRunsInItsPlaceAndIsNotCached() async throws {
        let pool = try makePool(poolSize: 1)
        let unprepared = "SELECT $1::int8 * 3 AS tripled"
        let results = try await pool.withConnection { connection in
            try connection.pipeline([PostgresStatement("SELECT $1::int8 + 1", [1]), PostgresStatement(unprepared, [2], prepared: false),
                                     PostgresStatement(unprepared, [3], prepared: false)])
        }
        XCTAssertEqual(try results.map { try $0[0].decode(0, as: Int.self) }, [2, 6, 9])
        let cached = try await pool.query("SELECT count(*) FILTER (WHERE statement = $1), count(*) FILTER (WHERE statement = $2) FROM pg_prepared_statements",
                                          ["SELECT $1::int8 + 1", unprepared])
        XCTAssertEqual(try cached[0].decode(0, as: Int.self), 1, "the prepared one is cached")
        XCTAssertEqual(try cached[0].decode(1, as: Int.self), 0, "the unprepared one is not")
    }

    func testAFailedPrepareDoesNotPoisonTheCache() async throws {
        let pool = try makePool(poolSize: 1)
        let error = await expectPostgresError {
            try await pool.withConnection { try $0.pipeline([PostgresStatement("SELECT nonsense FROM missing_table")]) }
        }
        XCTAssertEqual(error?.sqlState, "42P01")
        try await pool.execute("CREATE TABLE missing_table (nonsense int)")
        try await pool.execute("INSERT INTO missing_table VALUES (5)")
        let rows = try await pool.withConnection { try $0.pipeline([PostgresStatement("SELECT nonsense FROM missing_table")]) }
        XCTAssertEqual(try rows[0][0].decode(0, as: Int.self), 5)
    }

    func testACachedStatementThatNoLongerFitsTheSchemaIsPreparedAgain() async throws {
        let pool = try makePool(poolSize: 1)
        try await pool.execute("INSERT INTO queue VALUES (1, 'a')")
        let select = PostgresStatement("SELECT * FROM queue")
        let before = try await pool.withConnection { try $0.pipeline([select]) }
        XCTAssertEqual(before[0].columnNames, ["id", "body"])
        try await pool.execute("ALTER TABLE queue ADD COLUMN note text DEFAULT 'n'")
        let after = try await pool.withConnection { connection in
            try connection.pipeline([PostgresStatement("INSERT INTO queue VALUES ($1, $2)", [2, "b"]), select])
        }
        XCTAssertEqual(after[1].columnNames, ["id", "body", "note"])
        let count = try await pool.query("SELECT count(*) FROM queue")
        XCTAssertEqual(try count[0].decode(0, as: Int.self), 2, "the insert ran once, although the pipeline ran twice")
    }

    func testALargePipelineWithLargeAnswersDoesNotDeadlock() async throws {
        // Far more than the socket buffers hold in both directions: the server answers
        // while the statements are still going out.
        let pool = try makePool(poolSize: 1)
        let body = String(repeating: "x", count: 4_000)
        let statements = (1...400).map { PostgresStatement("SELECT repeat($1::text, 50), $2::int", [body, $0]) }
        let results = try await pool.withConnection { try $0.pipeline(statements) }
        XCTAssertEqual(results.count, 400)
        XCTAssertEqual(try results[399][0].decode(1, as: Int.self), 400)
        XCTAssertEqual(try results[0][0].decode(0, as: String.self).utf8.count, 200_000)
    }

    func testALostConnectionFailsThePipelineAndThePoolRecovers() async throws {
        let pool = try makePool(poolSize: 1)
        let error = await expectPostgresError {
            try await pool.withConnection { connection in
                try connection.pipeline([
                    PostgresStatement("SELECT 1"),
                    PostgresStatement("SELECT pg_terminate_backend(pg_backend_pid())"),
                    PostgresStatement("SELECT 2"),
                ])
            }
        }
        XCTAssertNotNil(error)
        let rows = try await pool.query("SELECT 3")
        XCTAssertEqual(try rows[0].decode(0, as: Int.self), 3)
    }
}
