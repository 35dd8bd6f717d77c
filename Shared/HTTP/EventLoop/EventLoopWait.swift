/// Waiting for a socket on the event loop whose thread runs the calling task, for code outside
/// this module that talks to its own sockets without blocking the loop (the PostgreSQL
/// driver's on-loop statements).
///
/// A task runs on an event loop when its route has `RouteOptions.runsOnEventLoop`; anywhere
/// else `isAvailable` is false and `untilReady` returns false at once.
public enum EventLoopWait {
    /// Whether the calling thread is an event loop's, so `untilReady` can wait on it.
    public static var isAvailable: Bool { EventLoop.current != nil }

    /// Waits until `fd` is readable (or writable), failed or hung up; false when `deadline`
    /// passed first, the loop is stopping, or the caller is not on an event loop.
    ///
    /// The caller owns `fd` and keeps it open while waiting; one waiter per socket at a time.
    /// Readiness may be spurious: retry the read or write, and wait again if it would block.
    public static func untilReady(fd: Int32, writable: Bool, deadline: ContinuousClock.Instant) async -> Bool {
        guard let loop = EventLoop.current else { return false }
        let left = ContinuousClock.now.duration(to: deadline)
        guard left > .zero else { return false }
        let (seconds, attoseconds) = left.components
        let nanoseconds = UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
        return await loop.waitUntilReady(fd: fd, writable ? .writable : .readable,
                                         deadline: Socket.monotonicNanoseconds() &+ nanoseconds)
    }
}
