import Errors
import Foundation
import Postgres
import Synchronization
import TestSupport
import XCTest

final class PoolTests: PostgresTestCase {
    func testConcurrencyAbovePoolSizeWaitsAndCompletes() async throws {
        let pool = try makePool(poolSize: 3)
        let peak = PeakCounter()
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try await pool.withConnection { connection in
                        peak.enter()
                        defer { peak.leave() }
                        _ = try connection.query("SELECT pg_sleep(0.02)")
                        return try connection.query("SELECT $1::int8 * 2", [index])[0].decode(0, as: Int.self)
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(results.sorted(), (0..<24).map { $0 * 2 })
        XCTAssertEqual(peak.maximum, 3, "never more bodies at once than connections")
        let statistics = pool.statistics
        XCTAssertEqual(statistics.size, 3)
        XCTAssertEqual(statistics.open, 3)
        XCTAssertEqual(statistics.inUse, 0)
        XCTAssertEqual(statistics.idle, 3)
        XCTAssertEqual(statistics.waiting, 0)
        let backends = try await pool.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'clientele'")
        XCTAssertLessThanOrEqual(try backends[0].decode(0, as: Int.self), 3)
    }

    func testAcquireTimeoutIsUnavailable() async throws {
        let pool = try makePool(poolSize: 1, acquireTimeout: .milliseconds(200))
        let holding = BlockingGate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await pool.withConnection { _ in try holding.pass() }
            }
            try await eventually("the holder has the connection") { pool.statistics.inUse == 1 }
            let error = await self.expectPostgresError { try await pool.query("SELECT 1") }
            XCTAssertEqual(error?.code.kind, .poolExhausted)
            XCTAssertEqual(error?.clienteleError.code, .unavailable)
            // The holder keeps the connection until the gate opens below: the error came from
            // the acquire timeout, not from the connection coming back.
            XCTAssertEqual(pool.statistics.inUse, 1)
            holding.open()
            try await group.waitForAll()
        }
        let value = try await pool.query("SELECT 1")[0].decode(0, as: Int.self)
        XCTAssertEqual(value, 1, "the pool works once the connection is back")
    }

    func testStatisticsReflectUse() async throws {
        let pool = try makePool(poolSize: 2)
        XCTAssertEqual(pool.statistics, PostgresPool.Statistics(size: 2, open: 0, inUse: 0, idle: 0, waiting: 0))
        let holding = BlockingGate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { try await pool.withConnection { _ in try holding.pass() } }
            }
            try await eventually("one caller waits for a connection") { pool.statistics.waiting == 1 }
            let busy = pool.statistics
            XCTAssertEqual(busy.inUse, 2)
            XCTAssertEqual(busy.idle, 0)
            XCTAssertEqual(busy.waiting, 1)
            holding.open()
            try await group.waitForAll()
        }
        XCTAssertEqual(pool.statistics, PostgresPool.Statistics(size: 2, open: 2, inUse: 0, idle: 2, waiting: 0))
    }

    /// A read model's pool commits without waiting for the WAL flush; every other pool keeps
    /// the database's setting.
    func testSynchronousCommitIsTheDatabasesUnlessTurnedOff() async throws {
        // The test server runs with it off for speed: this database asks for it on.
        let setup = try makePool(poolSize: 1)
        _ = try await setup.query("""
            DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = on', current_database()); END $$
            """)
        let durable = try makePool(poolSize: 1)
        let durableSetting = try await durable.query("SHOW synchronous_commit")[0].decode(0, as: String.self)
        XCTAssertEqual(durableSetting, "on")
        var configuration = PostgresConfiguration(connectionString: try connectionString)
        configuration.poolSize = 1
        configuration.synchronousCommit = false
        let rebuildable = PostgresPool(configuration: configuration)
        addTeardownBlock { await rebuildable.close() }
        let rebuildableSetting = try await rebuildable.query("SHOW synchronous_commit")[0].decode(0, as: String.self)
        XCTAssertEqual(rebuildableSetting, "off")
    }

    func testStatementTimeoutCancelsSleep() async throws {
        let pool = try makePool(poolSize: 1, statementTimeout: .milliseconds(300))
        let started = ContinuousClock.now
        let error = await expectPostgresError { try await pool.query("SELECT pg_sleep(10)") }
        XCTAssertEqual(error?.code.kind, .timeout)
        XCTAssertEqual(error?.sqlState, "57014")
        XCTAssertEqual(error?.clienteleError.code, .deadlineExceeded)
        // A correctness bound, not a performance claim: the statement sleeps 10 s.
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
        let value = try await pool.query("SELECT 2")[0].decode(0, as: Int.self)
        XCTAssertEqual(value, 2, "the connection is usable after the timeout")
    }

    func testTaskCancellationCancelsRunningStatement() async throws {
        let pool = try makePool(poolSize: 1)
        let observer = try makePool(poolSize: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let started = ContinuousClock.now
                do {
                    _ = try await pool.query("SELECT pg_sleep(10)")
                    XCTFail("expected the statement to be cancelled")
                } catch let error as PostgresError {
                    XCTAssertEqual(error.code.kind, .timeout)
                    XCTAssertEqual(error.sqlState, "57014")
                }
                // A correctness bound, not a performance claim: the statement sleeps 10 s.
                XCTAssertLessThan(ContinuousClock.now - started, .seconds(5))
            }
            try await eventually("the statement runs on the server") {
                try await self.activeStatements(pool: observer, "SELECT pg_sleep(10)") == 1
            }
            group.cancelAll()
            try await group.waitForAll()
        }
        let value = try await pool.query("SELECT 4")[0].decode(0, as: Int.self)
        XCTAssertEqual(value, 4)
    }

    func testTaskCancellationWhileWaitingForAConnection() async throws {
        let pool = try makePool(poolSize: 1, acquireTimeout: .seconds(20))
        let holding = BlockingGate()
        try await withThrowingTaskGroup(of: Void.self) { holder in
            holder.addTask { try await pool.withConnection { _ in try holding.pass() } }
            try await eventually("the holder has the connection") { pool.statistics.inUse == 1 }
            try await withThrowingTaskGroup(of: Void.self) { waiter in
                waiter.addTask {
                    do {
                        _ = try await pool.query("SELECT 1")
                        XCTFail("expected cancellation")
                    } catch is CancellationError {}
                }
                try await eventually("the caller waits for a connection") { pool.statistics.waiting == 1 }
                waiter.cancelAll()
                try await waiter.waitForAll()
            }
            XCTAssertEqual(pool.statistics.waiting, 0)
            holding.open()
            try await holder.waitForAll()
        }
    }

    func testBlockingBodiesDoNotStarveTheCooperativePool() async throws {
        // More blocked bodies than the machine has cores: if they ran on Swift's cooperative
        // threads, the async work below could not run until they ended, which is only once
        // the gate opens (or, if the test never got there, its 60 s timeout passes).
        let pool = try makePool(poolSize: 6)
        let holding = BlockingGate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask { try await pool.withConnection { _ in try holding.pass() } }
            }
            try await eventually("all six bodies are blocked") { holding.arrivals == 6 }
            try await Task.sleep(for: .milliseconds(10))
            await Task.yield()
            XCTAssertEqual(pool.statistics.inUse, 6, "async work ran while every body was still blocked")
            holding.open()
            try await group.waitForAll()
        }
    }

    func testClosedPoolRefusesWork() async throws {
        let pool = try makePool()
        _ = try await pool.query("SELECT 1")
        await pool.close()
        let error = await expectPostgresError { try await pool.query("SELECT 1") }
        XCTAssertEqual(error?.code.kind, .poolClosed)
        XCTAssertEqual(error?.clienteleError.code, .unavailable)
    }

    func testUnreachableServerIsUnavailable() async throws {
        var configuration = PostgresConfiguration(connectionString: "host=127.0.0.1 port=1 user=postgres dbname=x")
        configuration.connectTimeout = .seconds(2)
        let pool = PostgresPool(configuration: configuration)
        let error = await expectPostgresError { try await pool.query("SELECT 1") }
        XCTAssertEqual(error?.code.kind, .connection)
        XCTAssertEqual(error?.clienteleError.code, .unavailable)
        await pool.close()
    }
}

/// Counts bodies running at once and keeps the peak.
final class PeakCounter: Sendable {
    private let counts = Mutex((current: 0, peak: 0))

    func enter() { counts.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) } }
    func leave() { counts.withLock { $0.current -= 1 } }
    var maximum: Int { counts.withLock { $0.peak } }
}

extension PostgresTestCase {
    /// How many backends are running `sql` right now, as another pool sees them.
    func activeStatements(pool: PostgresPool, _ sql: String) async throws -> Int {
        try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = $1", [sql])[0]
            .decode(0, as: Int.self)
    }
}
