import Foundation
import HTTP
import Infrastructure
import Postgres
import Synchronization
import TestSupport
import XCTest

/// PostgreSQL statements run from handler tasks on an HTTP event loop, waiting for the
/// database on the loop's epoll (`PostgresPool.query(_:_:waitingOn:)`), against a real server.
final class OnLoopPostgresTests: XCTestCase {
    /// A server of this class's own: one test restarts it.
    private static let server = Result { try PostgresServer() }

    private var postgres: PostgresServer { get throws { try Self.server.get() } }

    override class func tearDown() {
        if let server = try? server.get() {
            server.stop()
            try? FileManager.default.removeItem(at: server.directory)
        }
        super.tearDown()
    }

    private func makePool(poolSize: Int = 2, statementTimeout: Duration? = .seconds(30),
                          acquireTimeout: Duration = .seconds(10)) throws -> PostgresPool {
        var configuration = PostgresConfiguration(connectionString: try postgres.createDatabase("on_loop"))
        configuration.poolSize = poolSize
        configuration.statementTimeout = statementTimeout
        configuration.acquireTimeout = acquireTimeout
        let pool = PostgresPool(configuration: configuration)
        addTeardownBlock { await pool.close() }
        return pool
    }

    /// An HTTP server whose on-loop routes run the closures the test registers:
    /// `GET /run/NAME` answers the closure's text, or "error: KIND SQLSTATE" for a PostgresError.
    private final class LoopServer: Sendable {
        typealias Body = @Sendable () async throws -> String
        let server: HTTPServer
        let task: Task<Void, any Error>
        let port: Int
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(20),
                                                                       maxConnectionsPerHost: 256, retries: 0))
        /// The registered bodies by name, shared with the route (so held by reference).
        private final class Bodies: Sendable {
            let byName = Mutex<[String: Body]>([:])
        }

        private let bodies = Bodies()

        init(loops: Int) async throws {
            let router = Router()
            let bodies = self.bodies
            router.get("/run/:name", options: RouteOptions(runsOnEventLoop: true)) { request in
                guard let body = bodies.byName.withLock({ $0[request.pathParameters["name"] ?? ""] }) else {
                    return .text("no such body", status: .notFound)
                }
                guard EventLoopWait.isAvailable else { return .text("not on an event loop") }
                do {
                    return .text(try await body())
                } catch let error as PostgresError {
                    return .text("error: \(error.code.kind) \(error.sqlState ?? "-")")
                }
            }
            router.get("/ping", options: RouteOptions(runsOnEventLoop: true)) { _ in .text("pong") }
            server = HTTPServer(configuration: HTTPServerConfiguration(eventLoopCount: loops), router: router)
            let server = self.server
            task = Task { try await server.run() }
            port = try await server.boundPort()
        }

        func register(_ name: String, _ body: @escaping Body) {
            bodies.byName.withLock { $0[name] = body }
        }

        func get(_ path: String) async throws -> String {
            let response = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"))
            return String(decoding: response.body, as: UTF8.self)
        }

        func run(_ name: String) async throws -> String { try await get("/run/\(name)") }

        func stop() async throws {
            client.shutdown()
            server.beginGracefulShutdown()
            try await task.value
        }
    }

    private func startServer(loops: Int = 1) async throws -> LoopServer {
        let server = try await LoopServer(loops: loops)
        addTeardownBlock { try? await server.stop() }
        return server
    }

    private let readiness = EventLoopPostgresReadiness()

    func testResultsAndErrorsMatchTheThreadPathAndTheConnectionStaysUsable() async throws {
        let pool = try makePool(poolSize: 1)
        let server = try await startServer()
        let readiness = self.readiness
        try await pool.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        try await pool.execute("INSERT INTO items VALUES (1, 'one'), (2, NULL)")
        server.register("rows") {
            let rows = try await pool.query("SELECT id, name FROM items WHERE id <= $1 ORDER BY id", [5], waitingOn: readiness)
            let names = try rows.map { "\(try $0.decode(0, as: Int.self))=\(try $0.decodeIfPresent(1, as: String.self) ?? "nil")" }
            return names.joined(separator: ",")
        }
        server.register("pid") {
            String(try await pool.query("SELECT pg_backend_pid()", waitingOn: readiness)[0].decode(0, as: Int.self))
        }
        server.register("divide") { _ = try await pool.query("SELECT 1 / $1", [0], waitingOn: readiness); return "no error" }
        server.register("duplicate") {
            _ = try await pool.query("INSERT INTO items VALUES ($1, 'again') RETURNING id", [1], waitingOn: readiness)
            return "no error"
        }

        let answer1 = try await server.run("rows")
        XCTAssertEqual(answer1, "1=one,2=nil")
        let pid = try await server.run("pid")
        let answer2 = try await server.run("divide")
        XCTAssertEqual(answer2, "error: query 22012")
        let answer3 = try await server.run("duplicate")
        XCTAssertEqual(answer3, "error: query 23505")
        let answer4 = try await server.run("pid")
        XCTAssertEqual(answer4, pid, "an SQL error keeps the connection")
        let answer5 = try await server.run("rows")
        XCTAssertEqual(answer5, "1=one,2=nil")

        // The same error, message and public form as through the pool's threads.
        let threadError = await capture { try await pool.query("SELECT 1 / $1", [0]) }
        let loopError = Mutex<PostgresError?>(nil)
        server.register("capture") {
            do { _ = try await pool.query("SELECT 1 / $1", [0], waitingOn: readiness) } catch let error as PostgresError {
                loopError.withLock { $0 = error }
            }
            return "done"
        }
        _ = try await server.run("capture")
        let onLoop = loopError.withLock { $0 }
        XCTAssertEqual(onLoop?.code, threadError?.code)
        XCTAssertEqual(onLoop?.message, threadError?.message)
        XCTAssertEqual(onLoop?.clienteleError.code, threadError?.clienteleError.code)

        // A cached statement whose result type changed is prepared again (SQLSTATE 0A000).
        try await pool.execute("ALTER TABLE items ADD COLUMN extra int DEFAULT 7")
        server.register("star") {
            let row = try await pool.query("SELECT * FROM items WHERE id = $1", [1], waitingOn: readiness)[0]
            return "\(row.columnNames.count)"
        }
        let answer6 = try await server.run("star")
        XCTAssertEqual(answer6, "3")
        try await pool.execute("ALTER TABLE items ADD COLUMN more int")
        let answer7 = try await server.run("star")
        XCTAssertEqual(answer7, "4")
        let answer8 = try await server.run("pid")
        XCTAssertEqual(answer8, pid)
    }

    func testAStatementPastTheDeadlineFailsInTimeWhileTheLoopServesOthers() async throws {
        // No server-side statement timeout: the on-loop deadline is acquireTimeout (1 s).
        let pool = try makePool(poolSize: 1, statementTimeout: nil, acquireTimeout: .seconds(1))
        let observer = try makePool(poolSize: 1)
        let server = try await startServer(loops: 1)
        let readiness = self.readiness
        server.register("sleep") {
            _ = try await pool.query("SELECT pg_sleep(20)", waitingOn: readiness)
            return "slept"
        }
        server.register("value") { "\(try await pool.query("SELECT $1::int", [42], waitingOn: readiness)[0].decode(0, as: Int.self))" }
        let started = ContinuousClock.now
        let sleeperAnswered = Mutex(false)
        async let sleeper: String = { () async throws -> String in
            defer { sleeperAnswered.withLock { $0 = true } }
            return try await server.run("sleep")
        }()
        try await eventually("the statement runs on the server") { try await self.sleepers(observer) == 1 }
        // The one loop answers pings while its other request waits for PostgreSQL: every ping
        // answered before the sleeper's answer shows the loop was not blocked.
        var pingsWhileWaiting = 0
        try await eventually("the statement's deadline passes", pausing: false) {
            let answer9 = try await server.get("/ping")
            XCTAssertEqual(answer9, "pong")
            if sleeperAnswered.withLock({ $0 }) { return true }
            pingsWhileWaiting += 1
            return false
        }
        XCTAssertGreaterThan(pingsWhileWaiting, 3, "the loop must keep serving")
        let answer10 = try await sleeper
        XCTAssertEqual(answer10, "error: connection -", "the deadline fails the statement as unavailable")
        let elapsed = ContinuousClock.now - started
        // Correctness bounds, not performance claims: not before the 1 s deadline, and well
        // before the 20 s statement would have ended.
        XCTAssertLessThan(elapsed, .seconds(10))
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(900))
        let answer11 = try await server.run("value")
        XCTAssertEqual(answer11, "42", "a fresh connection replaces the abandoned one")
        // The abandoned statement was cancelled on the server.
        try await eventually("the abandoned statement is cancelled on the server", timeout: .seconds(5)) {
            try await self.sleepers(pool) == 0
        }
    }

    func testTheServersStatementTimeoutKeepsTheConnection() async throws {
        let pool = try makePool(poolSize: 1, statementTimeout: .milliseconds(300))
        let server = try await startServer()
        let readiness = self.readiness
        server.register("pid") { String(try await pool.query("SELECT pg_backend_pid()", waitingOn: readiness)[0].decode(0, as: Int.self)) }
        server.register("sleep") { _ = try await pool.query("SELECT pg_sleep(30)", waitingOn: readiness); return "slept" }
        let pid = try await server.run("pid")
        let started = ContinuousClock.now
        let answer12 = try await server.run("sleep")
        XCTAssertEqual(answer12, "error: timeout 57014")
        // A correctness bound, not a performance claim: the statement sleeps 30 s.
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))
        let answer13 = try await server.run("pid")
        XCTAssertEqual(answer13, pid)
    }

    func testATerminatedBackendFailsThenTheNextStatementRecovers() async throws {
        let pool = try makePool(poolSize: 1)
        let killer = try makePool(poolSize: 1)
        let server = try await startServer()
        let readiness = self.readiness
        server.register("pid") { String(try await pool.query("SELECT pg_backend_pid()", waitingOn: readiness)[0].decode(0, as: Int.self)) }
        server.register("sleep") { _ = try await pool.query("SELECT pg_sleep(5)", waitingOn: readiness); return "slept" }

        // Killed mid-statement: the statement fails as unavailable.
        let first = try await server.run("pid")
        async let sleeper = server.run("sleep")
        try await eventually("the statement runs on the server") {
            try await killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int4 AND state = 'active'", [Int(first)!])[0]
                .decode(0, as: Int.self) == 1
        }
        _ = try await killer.query("SELECT pg_terminate_backend($1::int4)", [Int(first)!])
        let failure = try await sleeper
        XCTAssertTrue(failure.hasPrefix("error: connection") || failure == "error: query 57P01", failure)
        let second = try await server.run("pid")
        XCTAssertNotEqual(second, first)

        // Killed while idle: found before use and replaced, without an error.
        _ = try await killer.query("SELECT pg_terminate_backend($1::int4)", [Int(second)!])
        try await eventually("the terminated backend is gone") {
            try await killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int4", [Int(second)!])[0]
                .decode(0, as: Int.self) == 0
        }
        let third = try await server.run("pid")
        XCTAssertFalse(third.hasPrefix("error"), third)
        XCTAssertNotEqual(third, second)
    }

    func testAServerRestartIsSurvived() async throws {
        let pool = try makePool(poolSize: 2)
        let server = try await startServer()
        let readiness = self.readiness
        server.register("value") { "\(try await pool.query("SELECT $1::int", [7], waitingOn: readiness)[0].decode(0, as: Int.self))" }
        let answer14 = try await server.run("value")
        XCTAssertEqual(answer14, "7")
        try postgres.restart()
        var answers: [String] = []
        for _ in 0..<3 { answers.append(try await server.run("value")) }
        XCTAssertEqual(answers.last, "7", "\(answers)")
        XCTAssertEqual(answers.filter { $0 != "7" }.count, 0, "an idle connection closed by the restart is replaced: \(answers)")
    }

    func testManyConcurrentStatementsShareTheConnections() async throws {
        let pool = try makePool(poolSize: 4)
        let server = try await startServer(loops: 2)
        let readiness = self.readiness
        server.register("echo") {
            let value = Int.random(in: 0..<1_000_000)
            let rows = try await pool.query("SELECT $1::int, pg_sleep(0.002)::text", [value], waitingOn: readiness)
            return try rows[0].decode(0, as: Int.self) == value ? "ok" : "mismatch"
        }
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<300 { group.addTask { try await server.run("echo") } }
            return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        XCTAssertEqual(answers, ["ok": 300])
        let statistics = pool.statistics
        XCTAssertLessThanOrEqual(statistics.open, 4)
        XCTAssertEqual(statistics.inUse, 0)
    }

    /// Backends running the deadline test's `SELECT pg_sleep(20)`, as `pool` sees them.
    private func sleepers(_ pool: PostgresPool) async throws -> Int {
        try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(20)'")[0].decode(0, as: Int.self)
    }

    private func capture<T>(_ body: () async throws -> T) async -> PostgresError? {
        do {
            _ = try await body()
        } catch let error as PostgresError {
            return error
        } catch {
            XCTFail("\(error)")
        }
        return nil
    }
}
