import Dispatch
import Foundation

/// One place in a pool: the connection that lives there and a serial queue for its slow work.
///
/// A statement on an open, idle, healthy connection runs on the calling task's thread: a
/// short query then costs no thread hand-off, and the caller's thread is blocked only while
/// the server answers (bounded by `statement_timeout`). Opening a connection, which may block
/// for up to `connectTimeout` while the server is down, runs on `queue`, a Dispatch queue, so
/// an outage never occupies Swift's cooperative threads; so does the retry after a connection
/// found broken. The connection is opened on first use and replaced when it is found broken.
///
/// `@unchecked Sendable`: the pool lends a slot to one caller at a time (its lock orders one
/// holder's accesses before the next's), and `connection` is only touched by the holder,
/// inline or on `queue` while the holder awaits it; `close()` runs once nothing is lent.
/// `canceller` is guarded by `Locked`.
final class ConnectionSlot: @unchecked Sendable {
    let id: Int
    private let queue: DispatchQueue
    private var connection: PostgresConnection?
    private let canceller = Locked<Canceller?>(nil)

    init(id: Int) {
        self.id = id
        self.queue = DispatchQueue(label: "clientele.postgres.connection.\(id)")
    }

    /// Runs `body` with a ready connection and returns its result.
    ///
    /// An idle connection with input waiting (the server restarted or dropped it) is replaced
    /// before `body` sees it. If the first statement of `body` fails before reaching the
    /// socket on a broken connection, `body` runs once more on a fresh connection. A
    /// transaction left open by `body` is rolled back; a broken connection is closed. Task
    /// cancellation sends the server a cancel request for the running statement.
    func run<T: Sendable>(configuration: PostgresConfiguration, logger: PostgresPool.Logger?,
                          body: Body<T>) async throws -> T {
        try await withTaskCancellationHandler {
            var retried = false
            if let connection, connection.isHealthyWhileIdle() {
                switch attempt(connection, body: body, logger: logger) {
                case .success(let value):
                    body.release()
                    return value
                case .failure(let error):
                    guard connection.failedBeforeSending else {
                        body.release()
                        throw error
                    }
                    retried = true
                    logger?("PostgreSQL connection \(id) was broken before the first statement; retrying on a new connection")
                }
            }
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                queue.async { [retried] in
                    let result = Result {
                        try self.runOnQueue(configuration: configuration, logger: logger, body: body, retried: retried)
                    }
                    body.release()
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            canceller.withLock { $0 }?.cancelRunningStatement()
        }
    }

    /// Closes the connection on the slot's queue.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection?.close()
                self.connection = nil
                self.canceller.withLock { $0 = nil }
                continuation.resume()
            }
        }
    }

    private func runOnQueue<T>(configuration: PostgresConfiguration, logger: PostgresPool.Logger?,
                               body: Body<T>, retried: Bool) throws -> T {
        var retried = retried
        while true {
            let connection = try readyConnection(configuration: configuration, logger: logger)
            switch attempt(connection, body: body, logger: logger) {
            case .success(let value):
                return value
            case .failure(let error):
                guard !retried, connection.failedBeforeSending else { throw error }
                retried = true
                logger?("PostgreSQL connection \(id) was broken before the first statement; retrying on a new connection")
            }
        }
    }

    /// Runs `body` once on `connection`, then settles the connection (see `settle`).
    private func attempt<T>(_ connection: PostgresConnection, body: Body<T>,
                            logger: PostgresPool.Logger?) -> Result<T, any Error> {
        connection.statementsSinceCheckout = 0
        connection.failedBeforeSending = false
        let result = Result { try body.call(connection) }
        settle(connection, logger: logger)
        return result
    }

    private func readyConnection(configuration: PostgresConfiguration,
                                 logger: PostgresPool.Logger?) throws -> PostgresConnection {
        if let connection {
            if connection.isHealthyWhileIdle() { return connection }
            logger?("PostgreSQL connection \(id) was closed by the server while idle; reconnecting")
            discardConnection()
        }
        let fresh = try PostgresConnection.connect(configuration: configuration)
        connection = fresh
        canceller.withLock { $0 = fresh.canceller }
        return fresh
    }

    /// After a checkout: closes a broken connection, rolls back a transaction left open.
    private func settle(_ connection: PostgresConnection, logger: PostgresPool.Logger?) {
        if !connection.isConnected {
            discardConnection()
            return
        }
        if connection.isInTransaction {
            do {
                try connection.executeScript("ROLLBACK")
            } catch {
                logger?("PostgreSQL connection \(id) could not roll back a leftover transaction; closing it")
                discardConnection()
            }
        }
    }

    private func discardConnection() {
        canceller.withLock { $0 = nil }
        connection?.close()
        connection = nil
    }

    /// The caller's closure, held so the slot's queue can call it and then let it go before
    /// the caller resumes (the closure is non-escaping for the caller).
    ///
    /// `@unchecked Sendable`: `closure` is set at init, used by one thread at a time (the
    /// caller's, then the slot's queue while the caller awaits it), and cleared before the
    /// caller resumes.
    final class Body<T>: @unchecked Sendable {
        private var closure: (@Sendable (PostgresConnection) throws -> T)?

        init(_ closure: @escaping @Sendable (PostgresConnection) throws -> T) { self.closure = closure }

        func call(_ connection: PostgresConnection) throws -> T {
            guard let closure else { throw PostgresError(.protocolViolation, "closure called after release") }
            return try closure(connection)
        }

        func release() { closure = nil }
    }
}
