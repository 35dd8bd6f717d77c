/// Where an on-loop statement waits for its connection's socket (see
/// `PostgresPool.query(_:_:waitingOn:)`): an event loop's epoll, so no thread blocks.
///
/// The Postgres module does not know the event loop; a module that sees both implements this
/// (`EventLoopPostgresReadiness` in Infrastructure).
public protocol PostgresReadiness: Sendable {
    /// Whether the calling task can wait here now (it runs on an event loop's thread).
    var canWait: Bool { get }

    /// Waits until socket `fd` is readable (or writable when `writable`), failed or hung up.
    /// Returns false when `deadline` passed first or waiting is not possible; the statement
    /// is then abandoned.
    func wait(fd: Int32, writable: Bool, deadline: ContinuousClock.Instant) async -> Bool
}
