/// The libpq calls one non-blocking exchange makes: a real connection
/// (`LibPQExchangeIO`) or a scripted double in tests.
protocol PostgresExchangeIO {
    associatedtype Result

    /// Queues the command (`PQsendQueryPrepared`, `PQsendPrepare`…); false when libpq refused.
    mutating func start() -> Bool
    /// `PQflush`: 0 when everything is sent, 1 when the socket is full, -1 on failure.
    mutating func flush() -> Int32
    /// `PQconsumeInput`: reads what the socket holds; false when the connection failed.
    mutating func consumeInput() -> Bool
    /// `PQisBusy`: whether the next result would have to wait for more input.
    mutating func isBusy() -> Bool
    /// `PQgetResult`, called only when not busy; nil when the command is complete.
    mutating func nextResult() -> Result?
    /// What a result means for the exchange.
    mutating func inspect(_ result: Result) -> PostgresExchangeOutcome
    /// `PQclear`.
    mutating func discard(_ result: Result)
    /// The error to report when `start` failed.
    mutating func startFailure() -> PostgresError
    /// The error to report when the connection failed or answered out of protocol.
    mutating func connectionFailure(_ message: String) -> PostgresError
}

/// How `PostgresExchangeIO.inspect` classifies one result.
enum PostgresExchangeOutcome {
    /// A successful result.
    case succeeded
    /// The server's error; the exchange still collects the remaining results.
    case failed(PostgresError)
    /// A result this path cannot continue from (a COPY): stop now; the connection must close.
    case abandon(PostgresError)
}

/// One command sent and its results collected without blocking, as a state machine.
///
/// The driver calls `advance` until it returns `.succeeded` or `.failed`; on
/// `.waitReadable`/`.waitWritable` it waits for the connection's socket (with a deadline)
/// and calls `advance` again. Like the blocking path, the first error wins, the first
/// successful result is kept (the driver owns it after `.succeeded`) and any other is
/// discarded. After `.failed` with `abandon` semantics the connection must be closed.
struct PostgresExchange<IO: PostgresExchangeIO> {
    enum Action {
        case waitReadable
        case waitWritable
        case succeeded(IO.Result)
        case failed(PostgresError)
    }

    private enum State {
        case notStarted, flushing, reading, finished
    }

    private var state = State.notStarted
    private var kept: IO.Result?
    private var failure: PostgresError?
    /// Whether the exchange stopped on a result it could not continue from.
    private(set) var abandoned = false

    /// Whether `advance` has returned `.succeeded` or `.failed`.
    var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Makes all progress possible without waiting and says what to do next.
    mutating func advance(_ io: inout IO) -> Action {
        while true {
            switch state {
            case .notStarted:
                guard io.start() else { return finish(failing: io.startFailure()) }
                state = .flushing
            case .flushing:
                switch io.flush() {
                case 0:
                    // The answer cannot be there before the server read the command: wait for
                    // it instead of trying a read that would find nothing.
                    state = .reading
                    return .waitReadable
                case 1:
                    // The server may be blocked sending to us: take in what it sent meanwhile.
                    guard io.consumeInput() else {
                        return finish(failing: io.connectionFailure("the statement could not be sent"))
                    }
                    return .waitWritable
                default:
                    return finish(failing: io.connectionFailure("the statement could not be sent"))
                }
            case .reading:
                if io.isBusy() {
                    // A failed read leaves libpq not busy, with an error result to collect.
                    let read = io.consumeInput()
                    if io.isBusy() {
                        if read { return .waitReadable }
                        return finish(failing: io.connectionFailure("the connection to the database was lost"))
                    }
                }
                guard let result = io.nextResult() else { return finish(io: &io) }
                switch io.inspect(result) {
                case .succeeded:
                    if kept == nil && failure == nil { kept = result } else { io.discard(result) }
                case .failed(let error):
                    if failure == nil { failure = error }
                    io.discard(result)
                case .abandon(let error):
                    abandoned = true
                    io.discard(result)
                    if let kept { io.discard(kept) }
                    kept = nil
                    return finish(failing: failure ?? error)
                }
            case .finished:
                return .failed(PostgresError(.protocolViolation, "the exchange already finished"))
            }
        }
    }

    private mutating func finish(io: inout IO) -> Action {
        if let failure {
            if let kept { io.discard(kept) }
            kept = nil
            return finish(failing: failure)
        }
        guard let result = kept else {
            return finish(failing: io.connectionFailure("the server sent no result"))
        }
        kept = nil
        state = .finished
        return .succeeded(result)
    }

    private mutating func finish(failing error: PostgresError) -> Action {
        state = .finished
        return .failed(error)
    }
}
