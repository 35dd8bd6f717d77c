import CLibPQ
import Coordination

extension PostgresConnection {
    /// Threads that send abandoned statements' cancel requests: not `DispatchQueue.global()`,
    /// which on Linux is the pool every task runs on (`BlockingWorkers`), so a database that
    /// stopped answering would hold those threads in `PQcancel`'s connect while every task
    /// waits. At most four at once; more wait their turn (the connections close regardless).
    static let cancelSenders = BlockingWorkers(name: "postgres-cancel", maxThreads: 4)

    /// Runs one statement without blocking the thread and returns its rows: libpq runs in
    /// non-blocking mode and the task waits for the socket through `readiness`.
    ///
    /// Statements are prepared and cached as by `query(_:_:prepared:)` (`prepared` false: run
    /// unnamed, planned every time), and a cached statement invalidated by a schema change is
    /// prepared again and run once more. When a wait reaches
    /// `deadline`, the server is asked to cancel the statement (from `cancelSenders`), the
    /// connection is closed and this throws `.connection` (unavailable).
    func query(_ sql: String, _ parameters: [any PostgresEncodable], prepared: Bool = true, readiness: any PostgresReadiness,
               deadline: ContinuousClock.Instant) async throws -> PostgresRows {
        // Inside a transaction (which on-loop callers do not open) its BEGIN goes first, blocking.
        try sendPendingBegin()
        let (handle, texts, types) = try beginStatement(sql, parameters.map(\.postgresValue))
        setNonblocking(true)
        func run(_ values: [String?], _ send: @escaping LibPQExchangeIO.Send) async throws -> PostgresRows {
            let result = try await exchange(handle, values: values, readiness: readiness, deadline: deadline, send)
            defer { PQclear(result) }
            return rows(from: result)
        }
        let key = StatementKey(sql: sql, types: types)
        if prepared, let name = statements[key] {
            let wasIdle = PQtransactionStatus(handle) == PQTRANS_IDLE
            do {
                return try await run(texts) { count, pointers in PQsendQueryPrepared(handle, name, count, pointers, nil, nil, 0) }
            } catch let failure as PostgresError where failure.sqlState == "0A000" || failure.sqlState == "26000" {
                statements[key] = nil
                guard wasIdle else { throw failure }
                _ = try? await run([]) { _, _ in PQsendQuery(handle, "DEALLOCATE \(name)") }
            }
        }
        guard prepared, statements.count < Self.statementCacheLimit else {
            return try await run(texts) { count, pointers in
                types.withUnsafeBufferPointer { PQsendQueryParams(handle, sql, count, $0.baseAddress, pointers, nil, nil, 0) }
            }
        }
        statementCounter += 1
        let name = "clientele_\(statementCounter)"
        PQclear(try await exchange(handle, values: [], readiness: readiness, deadline: deadline) { _, _ in
            types.withUnsafeBufferPointer { PQsendPrepare(handle, name, sql, Int32(types.count), $0.baseAddress) }
        })
        statements[key] = name
        return try await run(texts) { count, pointers in PQsendQueryPrepared(handle, name, count, pointers, nil, nil, 0) }
    }

    /// Drives one `PostgresExchange` to its end and returns the result the caller must clear.
    private func exchange(_ handle: OpaquePointer, values: [String?], readiness: any PostgresReadiness,
                          deadline: ContinuousClock.Instant, _ send: @escaping LibPQExchangeIO.Send) async throws
        -> OpaquePointer {
        var io = LibPQExchangeIO(connection: self, handle: handle, values: values, send: send)
        var machine = PostgresExchange<LibPQExchangeIO>()
        while true {
            let writable: Bool
            switch machine.advance(&io) {
            case .succeeded(let result):
                return result
            case .failed(let error):
                if machine.abandoned { close() }
                throw error
            case .waitReadable:
                writable = false
            case .waitWritable:
                writable = true
            }
            let socket = PQsocket(handle)
            guard socket >= 0, await readiness.wait(fd: socket, writable: writable, deadline: deadline) else {
                throw abandon(handle)
            }
        }
    }

    /// Gives up on the running statement: a cancel request goes out from one of
    /// `cancelSenders`' threads (`PQcancel` blocks while it connects to the server, which may be
    /// the server that stopped answering) and the connection closes at once.
    private func abandon(_ handle: OpaquePointer) -> PostgresError {
        let canceller = Canceller(PQgetCancel(handle))
        Self.cancelSenders.submit {
            canceller.cancelRunningStatement()
            canceller.invalidate()
        }
        close()
        return PostgresError(.connection, "the database did not answer in time; the statement was abandoned")
    }
}

/// `PostgresExchangeIO` over a libpq connection in non-blocking mode.
struct LibPQExchangeIO: PostgresExchangeIO {
    /// Queues the command, given the parameter count and C strings.
    typealias Send = (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32

    let connection: PostgresConnection
    let handle: OpaquePointer
    let values: [String?]
    let send: Send

    func start() -> Bool {
        withOptionalCStringArray(values) { send(Int32(values.count), $0) } == 1
    }

    func flush() -> Int32 { PQflush(handle) }

    func consumeInput() -> Bool { PQconsumeInput(handle) == 1 }

    func isBusy() -> Bool { PQisBusy(handle) == 1 }

    func nextResult() -> OpaquePointer? { PQgetResult(handle) }

    func inspect(_ result: OpaquePointer) -> PostgresExchangeOutcome {
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
            return .succeeded
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            return .abandon(PostgresError(.invalidArgument, "COPY is not supported by on-loop statements"))
        default:
            return connection.error(from: result, values: values.compactMap { $0 }).map { .failed($0) } ?? .succeeded
        }
    }

    func discard(_ result: OpaquePointer) { PQclear(result) }

    func startFailure() -> PostgresError { connection.sendFailure(handle) }

    func connectionFailure(_ message: String) -> PostgresError { connection.connectionFailure(handle, message) }
}
