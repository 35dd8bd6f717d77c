import HTTP
import Postgres

/// Lets PostgreSQL statements of a route that runs on the HTTP event loop
/// (`RouteOptions.runsOnEventLoop`) wait for their socket on the loop's epoll, instead of
/// handing the blocking call to a connection thread and back.
///
/// Pass it to `PostgresPool.query(_:_:waitingOn:)`; from any other task the pool falls back to
/// its connection threads.
public struct EventLoopPostgresReadiness: PostgresReadiness {
    public init() {}

    public var canWait: Bool { EventLoopWait.isAvailable }

    public func wait(fd: Int32, writable: Bool, deadline: ContinuousClock.Instant) async -> Bool {
        await EventLoopWait.untilReady(fd: fd, writable: writable, deadline: deadline)
    }
}
