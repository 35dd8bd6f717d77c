import Postgres
import XCTest

final class TransactionTests: PostgresTestCase {
    struct Boom: Error {}

    override func setUp() async throws {
        try await super.setUp()
        let pool = try makePool(poolSize: 1)
        try await pool.execute("DROP TABLE IF EXISTS ledger")
        try await pool.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount int NOT NULL)")
    }

    func testCommitMakesWritesVisible() async throws {
        let pool = try makePool()
        let inserted = try await pool.withTransaction { connection in
            try connection.execute("INSERT INTO ledger VALUES ($1, $2)", [1, 10])
                + connection.execute("INSERT INTO ledger VALUES ($1, $2)", [2, 20])
        }
        XCTAssertEqual(inserted, 2)
        let value1 = try await pool.query("SELECT sum(amount) FROM ledger")[0].decode(0, as: Int.self)
        XCTAssertEqual(value1, 30)
    }

    func testThrownErrorRollsBack() async throws {
        let pool = try makePool()
        do {
            try await pool.withTransaction { connection in
                try connection.execute("INSERT INTO ledger VALUES ($1, $2)", [1, 10])
                throw Boom()
            }
            XCTFail("expected the error to propagate")
        } catch is Boom {}
        let value2 = try await pool.query("SELECT count(*) FROM ledger")[0].decode(0, as: Int.self)
        XCTAssertEqual(value2, 0)
    }

    func testFailedStatementRollsBackEverything() async throws {
        let pool = try makePool()
        let error = await expectPostgresError {
            try await pool.withTransaction { connection in
                try connection.execute("INSERT INTO ledger VALUES ($1, $2)", [1, 10])
                try connection.execute("INSERT INTO ledger VALUES ($1, $2)", [1, 11])
            }
        }
        XCTAssertEqual(error?.sqlState, "23505")
        let value3 = try await pool.query("SELECT count(*) FROM ledger")[0].decode(0, as: Int.self)
        XCTAssertEqual(value3, 0)
    }

    func testSwallowedStatementErrorStillRollsBack() async throws {
        let pool = try makePool()
        let error = await expectPostgresError {
            try await pool.withTransaction { connection in
                try connection.execute("INSERT INTO ledger VALUES ($1, $2)", [1, 10])
                _ = try? connection.execute("INSERT INTO ledger VALUES ($1, $2)", [1, 11])
            }
        }
        XCTAssertEqual(error?.sqlState, "25P02")
        let value4 = try await pool.query("SELECT count(*) FROM ledger")[0].decode(0, as: Int.self)
        XCTAssertEqual(value4, 0)
    }

    func testIsolationLevelIsApplied() async throws {
        let pool = try makePool()
        let level = try await pool.withTransaction(isolation: .serializable) { connection in
            try connection.query("SHOW transaction_isolation")[0].decode(0, as: String.self)
        }
        XCTAssertEqual(level, "serializable")
    }

    func testTransactionLeftOpenIsRolledBackOnReturn() async throws {
        let pool = try makePool(poolSize: 1)
        try await pool.withConnection { connection in
            try connection.executeScript("BEGIN")
            try connection.execute("INSERT INTO ledger VALUES ($1, $2)", [5, 50])
        }
        try await assertNothingOpenAndLedgerEmpty(pool)
    }

    /// The BEGIN waits for the body's first statement and goes out with it, whichever way
    /// that statement is sent: each way must still open the transaction asked for.
    func testTheFirstStatementOpensTheTransactionWhicheverWayItIsSent() async throws {
        let pool = try makePool(poolSize: 1)
        let show = "SELECT current_setting('transaction_isolation')"
        let levels = try await pool.withConnection { connection -> [String] in
            var levels: [String] = []
            try connection.transaction(isolation: .repeatableRead) {
                levels.append(try connection.query(show)[0].decode(0, as: String.self))
            }
            try connection.transaction(isolation: .repeatableRead) {
                levels.append(try connection.query(show, prepared: false)[0].decode(0, as: String.self))
            }
            try connection.transaction(isolation: .repeatableRead) {
                levels.append(try connection.pipeline([PostgresStatement(show)])[0][0].decode(0, as: String.self))
            }
            try connection.transaction(isolation: .repeatableRead) {
                try connection.executeScript("CREATE TEMP TABLE seen AS \(show) AS level")
                levels.append(try connection.query("SELECT level FROM seen")[0].decode(0, as: String.self))
                try connection.executeScript("DROP TABLE seen")
            }
            try connection.transaction(isolation: .repeatableRead) {
                try connection.copyIn("COPY ledger FROM STDIN", rows: ["1\t10"])
                levels.append(try connection.query(show)[0].decode(0, as: String.self))
                try connection.execute("DELETE FROM ledger")
            }
            return levels
        }
        XCTAssertEqual(levels, Array(repeating: "repeatable read", count: 5))
    }

    func testAFailingFirstStatementRollsBackAndLeavesTheConnectionUsable() async throws {
        let pool = try makePool(poolSize: 1)
        let error = await expectPostgresError {
            try await pool.withTransaction { connection in
                try connection.execute("INSERT INTO ledger VALUES ($1, $2)", [1, nil as Int?])
            }
        }
        XCTAssertEqual(error?.sqlState, "23502")
        try await assertNothingOpenAndLedgerEmpty(pool)
    }

    func testABodyThatRunsNothingLeavesNoTransactionOpen() async throws {
        let pool = try makePool(poolSize: 1)
        let value = try await pool.withTransaction { _ in 7 }
        XCTAssertEqual(value, 7)
        let open = try await pool.withConnection { $0.isInTransaction }
        XCTAssertFalse(open, "neither a BEGIN sent nor one still waiting")
    }

    /// The pool's next connection has no transaction open, and the ledger holds no row.
    private func assertNothingOpenAndLedgerEmpty(_ pool: PostgresPool, file: StaticString = #filePath, line: UInt = #line) async throws {
        let state = try await pool.withConnection { connection in
            (connection.isInTransaction, try connection.query("SELECT count(*) FROM ledger")[0].decode(0, as: Int.self))
        }
        XCTAssertFalse(state.0, "a transaction was left open", file: file, line: line)
        XCTAssertEqual(state.1, 0, "rows were left in the ledger", file: file, line: line)
    }
}
