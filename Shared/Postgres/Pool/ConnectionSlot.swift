import Dispatch
import Foundation
import Synchronization

/// One place in a pool: a serial queue of its own and the connection that lives on it.
///
/// Blocking libpq calls for the slot run on `queue`, a Dispatch queue, so they never occupy
/// Swift's cooperative threads; on-loop statements (`runOnLoop`) use the connection in
/// non-blocking mode from the task that holds the slot. The connection is opened on first use
/// (always on `queue`) and replaced when it is found broken.
///
/// `@unchecked Sendable`: only the pool's current borrower of the slot (between `acquire` and
/// `release`, which pass through the pool's lock) touches `connection`, one call at a time:
/// on `queue` for `run`, from the borrowing task for `runOnLoop`; `close` runs after every
/// borrower returned. `canceller` is guarded by its `Mutex`.
final class ConnectionSlot: @unchecked Sendable {
    let id: Int
    private let queue: DispatchQueue
    private var connection: PostgresConnection?
    private let canceller = Mutex<Canceller?>(nil)

    init(id: Int) {
        self.id = id
        self.queue = DispatchQueue(label: "clientele.postgres.connection.\(id)")
    }

    /// Runs `body` with a ready connection on the slot's queue and returns its result.
    ///
    /// An idle connection with input waiting (the server restarted or dropped it) is replaced
    /// before `body` sees it. If the first statement of `body` fails before reaching the
    /// socket on a broken connection, `body` runs once more on a fresh connection. A
    /// transaction left open by `body` is rolled back; a broken connection is closed. Task
    /// cancellation sends the server a cancel request for the running statement.
    func run<T: Sendable>(configuration: PostgresConfiguration, logger: PostgresPool.Logger?,
                          body: Body<T>) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                queue.async {
                    let result = Result { try self.runOnQueue(configuration: configuration, logger: logger, body: body) }
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
                               body: Body<T>) throws -> T {
        var retried = false
        while true {
            let connection = try readyConnection(configuration: configuration, logger: logger)
            connection.statementsSinceCheckout = 0
            connection.failedBeforeSending = false
            connection.setNonblocking(false)
            do {
                let value = try body.call(connection)
                settle(connection, logger: logger)
                return value
            } catch {
                let retry = !retried && connection.failedBeforeSending
                settle(connection, logger: logger)
                if retry {
                    retried = true
                    logger?("PostgreSQL connection \(id) was broken before the first statement; retrying on a new connection")
                    continue
                }
                throw error
            }
        }
    }

    /// Runs `body` with a ready connection on the calling task, for statements that wait for
    /// the socket instead of blocking (`PostgresConnection.query(_:_:readiness:deadline:)`).
    ///
    /// Only opening a connection (rare) hops to the slot's queue. Health check, retry on a
    /// connection broken before the first statement, and closing a broken connection work as
    /// in `run`; `body` must not leave a transaction open (a connection left in one is closed,
    /// since a ROLLBACK here would block).
    func runOnLoop<T>(configuration: PostgresConfiguration, logger: PostgresPool.Logger?,
                      _ body: (PostgresConnection) async throws -> T) async throws -> T {
        var retried = false
        while true {
            let connection: PostgresConnection
            if let existing = self.connection, existing.isHealthyWhileIdle() {
                connection = existing
            } else {
                try await openOnQueue(configuration: configuration, logger: logger)
                guard let opened = self.connection else { throw PostgresError(.connection, "the connection is closed") }
                connection = opened
            }
            connection.statementsSinceCheckout = 0
            connection.failedBeforeSending = false
            do {
                let value = try await body(connection)
                settleOnLoop(connection)
                return value
            } catch {
                let retry = !retried && connection.failedBeforeSending
                settleOnLoop(connection)
                if retry {
                    retried = true
                    logger?("PostgreSQL connection \(id) was broken before the first statement; retrying on a new connection")
                    continue
                }
                throw error
            }
        }
    }

    /// Replaces a missing or unhealthy connection on the slot's queue (connecting blocks).
    private func openOnQueue(configuration: PostgresConfiguration, logger: PostgresPool.Logger?) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                continuation.resume(with: Result { _ = try self.readyConnection(configuration: configuration, logger: logger) })
            }
        }
    }

    /// After an on-loop checkout: closes a connection that broke or was left in a transaction.
    private func settleOnLoop(_ connection: PostgresConnection) {
        if !connection.isConnected || connection.isInTransaction { discardConnection() }
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
    /// `@unchecked Sendable`: `closure` is set at init, used only on the slot's queue, and
    /// cleared there before the continuation resumes the caller.
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
