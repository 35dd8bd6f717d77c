import Dispatch
import Foundation
import Synchronization

/// A fixed-size pool of PostgreSQL connections, shared by all tasks of a service.
///
/// Connections open lazily, up to `poolSize`, each on its own serial Dispatch queue, so the
/// blocking libpq calls never run on Swift's cooperative threads. A task that finds every
/// connection busy waits (first come, first served) up to `acquireTimeout`, then fails with
/// `PostgresError.Kind.poolExhausted`, which maps to `ClienteleError.Code.unavailable`.
///
/// Broken connections are replaced: one found closed by the server while idle (after a
/// restart, say) is reopened before use, one that breaks during a statement is closed after
/// the error, so the next caller gets a fresh one. The pool never needs to be rebuilt after a
/// PostgreSQL restart.
public final class PostgresPool: Sendable {
    /// Receives warnings (reconnects, failed rollbacks). Messages carry no SQL or data.
    public typealias Logger = @Sendable (String) -> Void

    /// The isolation level `withTransaction` opens its transaction with.
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// A snapshot of the pool for metrics.
    public struct Statistics: Sendable, Equatable {
        /// The configured maximum number of connections.
        public var size: Int
        /// Connection places opened so far (each holds a connection, or reopens it on use).
        public var open: Int
        /// Connections lent out to callers right now.
        public var inUse: Int
        /// Open connections nobody is using.
        public var idle: Int
        /// Callers waiting for a connection.
        public var waiting: Int

        public init(size: Int, open: Int, inUse: Int, idle: Int, waiting: Int) {
            self.size = size
            self.open = open
            self.inUse = inUse
            self.idle = idle
            self.waiting = waiting
        }
    }

    public let configuration: PostgresConfiguration
    private let logger: Logger?
    private let state = Mutex(State())
    private let timers = DispatchQueue(label: "clientele.postgres.pool.timers")

    private struct State {
        var slots: [ConnectionSlot] = []
        var idle: [ConnectionSlot] = []
        var inUse = 0
        var waiters: [Waiter] = []
        var cancelledWaiters: Set<Int> = []
        var nextWaiterID = 0
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<ConnectionSlot, any Error>
    }

    /// Creates the pool; no connection opens until the first use.
    public init(configuration: PostgresConfiguration, logger: Logger? = nil) {
        precondition(configuration.poolSize > 0, "poolSize must be positive")
        self.configuration = configuration
        self.logger = logger
    }

    /// Lends a connection to `body`, run on the connection's own thread, and returns its result.
    ///
    /// `body` may run a second time only in one case: its first statement found the
    /// connection broken before sending anything; keep work before the first statement free of
    /// side effects. A transaction `body` leaves open is rolled back.
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let slot = try await acquire()
        defer { release(slot) }
        return try await withoutActuallyEscaping(body) { escapable in
            try await slot.run(configuration: configuration, logger: logger, body: ConnectionSlot.Body(escapable))
        }
    }

    /// Runs `body` in a transaction: BEGIN with `isolation`, COMMIT when `body` returns,
    /// ROLLBACK when it throws.
    ///
    /// If `body` caught a statement's error itself, the transaction is aborted; it is then
    /// rolled back and this throws SQLSTATE 25P02. COMMIT can fail with 40001 under
    /// `.serializable` (see `PostgresError.isTransactionConflict`): retrying is the caller's call.
    public func withTransaction<T: Sendable>(isolation: IsolationLevel = .readCommitted,
                                             _ body: @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withoutActuallyEscaping(body) { escapable in
            try await withConnection { connection in
                try connection.transaction(isolation: isolation) { try escapable(connection) }
            }
        }
    }

    /// Runs one statement on any connection and returns its rows.
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresRows {
        try await withConnection { try $0.query(sql, parameters) }
    }

    /// Runs one statement on any connection and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> Int {
        try await withConnection { try $0.execute(sql, parameters) }
    }

    /// Runs one statement on any connection and returns its rows, waiting for the database
    /// through `readiness` instead of a thread when the calling task can wait there (it runs
    /// on an HTTP event loop); otherwise, or with nil, it waits on one of the pool's threads.
    ///
    /// On the loop no thread hand-off happens unless a connection must be opened. Results,
    /// errors and statement caching (`prepared`) are those of a connection's
    /// `query(_:_:prepared:)`. Waiting for the socket stops at a deadline counted from this
    /// call: the statement timeout plus one second (so the server's own timeout, which keeps
    /// the connection, normally comes first), or `acquireTimeout` when there is no statement
    /// timeout. Past it the statement is cancelled, its connection closed, and this throws
    /// `.connection` (unavailable); the loop never blocks. Transactions keep to
    /// `withTransaction`, on the pool's threads.
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = [], prepared: Bool = true,
                      waitingOn readiness: (any PostgresReadiness)?) async throws -> PostgresRows {
        guard let readiness, readiness.canWait else {
            return try await withConnection { try $0.query(sql, parameters, prepared: prepared) }
        }
        let deadline = ContinuousClock.now + (configuration.statementTimeout.map { $0 + .seconds(1) }
            ?? configuration.acquireTimeout)
        let slot = try await acquireSoon()
        defer { release(slot) }
        return try await slot.runOnLoop(configuration: configuration, logger: logger) { connection in
            try await connection.query(sql, parameters, prepared: prepared, readiness: readiness, deadline: deadline)
        }
    }

    /// The pool's current counts.
    public var statistics: Statistics {
        state.withLock { state in
            Statistics(size: configuration.poolSize, open: state.slots.count, inUse: state.inUse,
                       idle: state.idle.count, waiting: state.waiters.count)
        }
    }

    /// Refuses new work, fails waiting callers, waits for lent connections to come back, then
    /// closes every connection.
    public func close() async {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, "the connection pool is closed"))
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.inUse == 0 { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
        let slots = state.withLock { $0.slots }
        for slot in slots { await slot.close() }
    }

    // MARK: Lending

    private func acquire() async throws -> ConnectionSlot {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        defer { state.withLock { _ = $0.cancelledWaiters.remove(id) } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ConnectionSlot, any Error>) in
                let immediate: Result<ConnectionSlot, any Error>? = state.withLock { state in
                    if state.closed {
                        return .failure(PostgresError(.poolClosed, "the connection pool is closed"))
                    }
                    if state.cancelledWaiters.remove(id) != nil { return .failure(CancellationError()) }
                    if let slot = takeFreeSlot(&state) { return .success(slot) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate {
                    continuation.resume(with: immediate)
                    return
                }
                let timeout = configuration.acquireTimeout
                timers.asyncAfter(deadline: .now() + timeout.secondsDouble) { [weak self] in
                    self?.failWaiter(id, PostgresError(
                        .poolExhausted, "no database connection became free in time",
                        context: ["poolSize": String(self?.configuration.poolSize ?? 0)]))
                }
            }
        } onCancel: {
            let found = failWaiter(id, CancellationError())
            if !found { state.withLock { _ = $0.cancelledWaiters.insert(id) } }
        }
    }

    /// A slot nobody uses (opening a new place if the pool is not full), lent out; nil when
    /// every place is busy.
    private func takeFreeSlot(_ state: inout State) -> ConnectionSlot? {
        if let slot = state.idle.popLast() {
            state.inUse += 1
            return slot
        }
        if state.slots.count < configuration.poolSize {
            let slot = ConnectionSlot(id: state.slots.count + 1)
            state.slots.append(slot)
            state.inUse += 1
            return slot
        }
        return nil
    }

    /// A free slot without suspending, when one is free and nobody waits; else `acquire()`.
    private func acquireSoon() async throws -> ConnectionSlot {
        let free = state.withLock { state -> ConnectionSlot? in
            guard !state.closed, state.waiters.isEmpty else { return nil }
            return takeFreeSlot(&state)
        }
        if let free { return free }
        return try await acquire()
    }

    /// Fails the waiter `id` if it is still waiting; returns whether it was.
    @discardableResult
    private func failWaiter(_ id: Int, _ error: any Error) -> Bool {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
        return waiter != nil
    }

    private func release(_ slot: ConnectionSlot) {
        let (waiter, closeWaiters) = state.withLock { state -> (Waiter?, [CheckedContinuation<Void, Never>]) in
            if !state.waiters.isEmpty {
                return (state.waiters.removeFirst(), [])
            }
            state.inUse -= 1
            state.idle.append(slot)
            if state.closed && state.inUse == 0 {
                defer { state.closeWaiters.removeAll() }
                return (nil, state.closeWaiters)
            }
            return (nil, [])
        }
        waiter?.continuation.resume(returning: slot)
        for continuation in closeWaiters { continuation.resume() }
    }
}
