#if canImport(Glibc)
import Glibc
#endif
import Foundation
import CLinuxIO
import Synchronization

/// One epoll thread serving its own listener and the connections accepted on it.
///
/// Everything except `execute(_:)` runs on the loop's thread. Handler tasks hand results
/// back with `execute(_:)`: a locked mailbox plus an eventfd wake-up (skipped when the caller
/// is the loop's own thread: the loop runs its mailbox before waiting again). The loop is
/// also a `TaskExecutor`, so a route's handler task can run on the loop's thread instead of
/// hopping to Swift's global pool and back (`RouteOptions.runsOnEventLoop`). The epoll interest is
/// level-triggered; a connection's read interest is dropped while it must not read
/// (backpressure, pipelined requests waiting), so idle connections cost only their buffers.
final class EventLoop: @unchecked Sendable {
    // @unchecked Sendable: only `mailbox` (locked) and the immutable lets are touched from
    // other threads, via `execute(_:)`; all other state is confined to the loop's thread.

    private struct Mailbox {
        var jobs: [@Sendable () -> Void] = []
        var closed = false
        /// The thread running `run()`, once it has started.
        var thread: pthread_t?
    }

    private struct Watcher {
        var continuation: CheckedContinuation<Bool, Never>
        var deadline: UInt64
    }

    let context: ServerContext
    private let epollFD: Int32
    private let wakeFD: Int32
    private var listenFD: Int32
    private let mailbox = Mutex(Mailbox())
    private let onExit: @Sendable () -> Void

    private var connections: [HTTPConnection?] = []
    /// Tasks waiting in `waitUntilReady` for a socket that is not one of `connections`.
    private var watchers: [Int32: Watcher] = [:]
    /// No watcher's deadline is earlier than this.
    private var nextWatcherDeadline: UInt64 = .max
    private var connectionCount = 0
    /// Scratch buffer every read on this loop goes through.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// The loop's clock, refreshed after each epoll_wait.
    private(set) var now: UInt64 = Socket.monotonicNanoseconds()
    private(set) var isShuttingDown = false
    private var forceCloseAt: UInt64 = .max
    private var lastSweep: UInt64 = 0
    private var acceptPausedUntil: UInt64 = 0

    init(context: ServerContext, listenFD: Int32, onExit: @escaping @Sendable () -> Void) throws {
        self.context = context
        self.listenFD = listenFD
        self.onExit = onExit
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw Socket.Failure(call: "epoll_create1", errno: errno) }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            let failure = Socket.Failure(call: "eventfd", errno: errno)
            close(epollFD)
            throw failure
        }
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        var event = clientele_epoll_event_make(EPOLLIN.rawValue, UInt64(UInt32(bitPattern: wakeFD)))
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        event = clientele_epoll_event_make(EPOLLIN.rawValue, UInt64(UInt32(bitPattern: listenFD)))
        epoll_ctl(epollFD, EPOLL_CTL_ADD, listenFD, &event)
    }

    /// Runs `job` on the loop's thread soon; dropped if the loop has stopped. Thread-safe.
    func execute(_ job: @escaping @Sendable () -> Void) {
        _ = submit(job)
    }

    /// Queues `job` for the loop's thread; false if the loop has stopped (the job is dropped).
    ///
    /// Called on the loop's thread while `runMailbox` runs, the job runs on the next pass,
    /// after every job queued before it (`EventLoopPass.afterQueuedJobs`).
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let (accepted, wake): (Bool, Bool) = mailbox.withLock { box in
            guard !box.closed else { return (false, false) }
            box.jobs.append(job)
            let onLoop = box.thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
            return (true, box.jobs.count == 1 && !onLoop)
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
        return accepted
    }

    /// Serves until shutdown completes; call on the loop's own thread.
    func run() {
        let maxEvents = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: maxEvents)
        defer { events.deallocate() }
        mailbox.withLock { $0.thread = pthread_self() }
        pthread_setspecific(Self.currentKey, Unmanaged.passUnretained(self).toOpaque())
        defer { pthread_setspecific(Self.currentKey, nil) }
        while !(isShuttingDown && connectionCount == 0) {
            let pending = mailbox.withLock { !$0.jobs.isEmpty }
            var timeout = pending ? 0 : context.tickMilliseconds
            if timeout > 0, nextWatcherDeadline != .max {
                let left = nextWatcherDeadline > now ? (nextWatcherDeadline - now + 999_999) / 1_000_000 : 0
                timeout = Int32(min(UInt64(timeout), left))
            }
            let count = epoll_wait(epollFD, events, Int32(maxEvents), timeout)
            now = Socket.monotonicNanoseconds()
            if count > 0 {
                for i in 0..<Int(count) {
                    let fd = Int32(truncatingIfNeeded: clientele_epoll_event_data(events + i))
                    let flags = events[i].events
                    if fd == wakeFD {
                        var value: UInt64 = 0
                        _ = read(wakeFD, &value, 8)
                    } else if fd == listenFD {
                        acceptConnections()
                    } else if Int(fd) < connections.count, let connection = connections[Int(fd)] {
                        connection.handle(events: flags)
                    } else if let watcher = watchers.removeValue(forKey: fd) {
                        watcher.continuation.resume(returning: true)
                    }
                }
            }
            if now >= nextWatcherDeadline { expireWatchers() }
            runMailbox()
            if now &- lastSweep >= UInt64(context.tickMilliseconds) * 1_000_000 {
                lastSweep = now
                sweep()
            }
        }
        for watcher in watchers.values { watcher.continuation.resume(returning: false) }
        watchers = [:]
        // Jobs queued before the close still run: task jobs among them must not be lost.
        let leftover = mailbox.withLock { box -> [@Sendable () -> Void] in
            box.closed = true
            defer { box.jobs = [] }
            return box.jobs
        }
        for job in leftover { job() }
        closeListener()
        close(wakeFD)
        close(epollFD)
        readBuffer.deallocate()
        onExit()
    }

    /// What `waitUntilReady` waits for.
    enum Readiness {
        case readable, writable
    }

    /// Waits until the socket `fd` is `readiness` (or failed); false when `deadline`
    /// (monotonic nanoseconds) passed first or the loop is stopping.
    ///
    /// Call only from a task running on this loop's thread (`EventLoop.current === self`), for
    /// a socket the caller owns and does not close while waiting. The interest is one-shot;
    /// readiness may be spurious, so the caller retries its read or write.
    func waitUntilReady(fd: Int32, _ readiness: Readiness, deadline: UInt64) async -> Bool {
        guard EventLoop.current === self, watchers[fd] == nil else { return false }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let events = readiness == .readable ? EPOLLIN.rawValue : EPOLLOUT.rawValue
            var event = clientele_epoll_event_make(events | EPOLLONESHOT.rawValue, UInt64(UInt32(bitPattern: fd)))
            if epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) != 0,
               errno != ENOENT || epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) != 0 {
                continuation.resume(returning: false)
                return
            }
            watchers[fd] = Watcher(continuation: continuation, deadline: deadline)
            nextWatcherDeadline = min(nextWatcherDeadline, deadline)
        }
    }

    /// The loop whose thread is running the caller, if any.
    static var current: EventLoop? {
        pthread_getspecific(currentKey).map { Unmanaged<EventLoop>.fromOpaque($0).takeUnretainedValue() }
    }

    /// The thread-specific slot `run()` marks its thread with.
    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "pthread_key_create failed")
        return key
    }()

    /// Releases the loop's descriptors when it will never `run()` (server start failed).
    func closeUnstarted() {
        mailbox.withLock { $0.closed = true; $0.jobs = [] }
        closeListener()
        close(wakeFD)
        close(epollFD)
        readBuffer.deallocate()
    }

    // MARK: Connections

    private func acceptConnections() {
        guard !isShuttingDown, now >= acceptPausedUntil else { return }
        for _ in 0..<64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { clientele_accept_nonblocking(listenFD, $0, &length) }
            }
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    // Out of descriptors: stop accepting for a moment instead of spinning.
                    acceptPausedUntil = now &+ 100_000_000
                    setListenerInterest(false)
                }
                return
            }
            guard let open = context.reserveConnection() else {
                ServerContext.overCapacityBytes.withUnsafeBytes {
                    _ = send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                }
                close(fd)
                continue
            }
            Socket.setNoDelay(fd)
            let connection = HTTPConnection(fd: fd, loop: self, remoteAddress: Socket.describe(storage))
            if Int(fd) >= connections.count {
                connections.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - connections.count))
            }
            connections[Int(fd)] = connection
            connectionCount += 1
            var event = clientele_epoll_event_make(EPOLLIN.rawValue | EPOLLRDHUP.rawValue, UInt64(UInt32(bitPattern: fd)))
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
            context.observer?.connectionCountChanged(open)
        }
    }

    private func setListenerInterest(_ enabled: Bool) {
        guard listenFD >= 0 else { return }
        var event = clientele_epoll_event_make(enabled ? EPOLLIN.rawValue : 0, UInt64(UInt32(bitPattern: listenFD)))
        epoll_ctl(epollFD, EPOLL_CTL_MOD, listenFD, &event)
    }

    /// Changes the epoll interest of a connection's socket.
    func updateInterest(fd: Int32, events: UInt32) {
        var event = clientele_epoll_event_make(events, UInt64(UInt32(bitPattern: fd)))
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Forgets a connection whose socket was just closed.
    func connectionClosed(fd: Int32) {
        guard Int(fd) < connections.count, connections[Int(fd)] != nil else { return }
        connections[Int(fd)] = nil
        connectionCount -= 1
        let open = context.releaseConnection()
        context.observer?.connectionCountChanged(open)
    }

    /// Resumes the watchers whose deadline passed.
    private func expireWatchers() {
        nextWatcherDeadline = .max
        for (fd, watcher) in watchers {
            if watcher.deadline <= now {
                watchers[fd] = nil
                watcher.continuation.resume(returning: false)
            } else {
                nextWatcherDeadline = min(nextWatcherDeadline, watcher.deadline)
            }
        }
    }

    private func sweep() {
        if acceptPausedUntil != 0, now >= acceptPausedUntil {
            acceptPausedUntil = 0
            setListenerInterest(true)
        }
        let force = isShuttingDown && now >= forceCloseAt
        for connection in connections {
            guard let connection else { continue }
            if force { connection.close() } else { connection.checkTimeouts(now: now) }
        }
    }

    /// Runs the jobs queued so far (those they queue run on the next pass).
    private func runMailbox() {
        let jobs = mailbox.withLock { box -> [@Sendable () -> Void] in
            defer { box.jobs.removeAll(keepingCapacity: true) }
            return box.jobs
        }
        for job in jobs { job() }
    }

    // MARK: Shutdown

    /// Stops accepting, closes idle connections and lets busy ones finish.
    func beginShutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        forceCloseAt = now &+ context.gracePeriod
        closeListener()
        for connection in connections {
            connection?.shutdownRequested()
        }
    }

    private func closeListener() {
        guard listenFD >= 0 else { return }
        epoll_ctl(epollFD, EPOLL_CTL_DEL, listenFD, nil)
        close(listenFD)
        listenFD = -1
    }
}

extension EventLoop: TaskExecutor {
    /// Runs a task's job on the loop's thread; once the loop has stopped, on a Dispatch
    /// thread instead, so a task that outlives the loop still finishes.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        if !submit({ job.runSynchronously(on: executor) }) {
            DispatchQueue.global().async { job.runSynchronously(on: executor) }
        }
    }
}
