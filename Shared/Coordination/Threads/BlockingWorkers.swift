import Foundation

/// A pool of dedicated threads for blocking calls (sockets, fsync, file reads).
///
/// Keeps blocking calls off Swift's cooperative pool. On Linux that pool is Dispatch's global
/// concurrent queue, one thread per core, so `DispatchQueue.global()` is no escape: a blocked
/// job there holds a thread every task is waiting for (checked: with both threads of a 2-core
/// machine blocked by global jobs, a detached task started only when they ended). Threads are
/// started on demand up to `maxThreads` and stay for reuse; jobs queue when all are busy.
public final class BlockingWorkers: @unchecked Sendable {
    // @unchecked Sendable: `jobs`, `idle`, `threads`, `stopped` and `submitted` are only accessed with
    // `condition` locked. A condition variable rather than a Mutex: idle workers sleep on it
    // until a job arrives.

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var idle = 0
    private var threads = 0
    private var stopped = false
    private var submitted = 0
    private let maxThreads: Int
    private let name: String

    /// - Parameter name: the threads' name (seen in `top -H` and profiles).
    public init(name: String, maxThreads: Int) {
        self.name = name
        self.maxThreads = max(1, maxThreads)
    }

    /// Runs `job` on a worker thread.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        submitted += 1
        let spawn = idle == 0 && threads < maxThreads
        if spawn { threads += 1 }
        condition.signal()
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = name
            thread.start()
        }
    }

    /// Runs `work` on a worker thread and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Jobs submitted so far (tests check which calls needed a worker thread).
    public var submittedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return submitted
    }

    /// Lets worker threads exit once the queue is empty.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            if stopped { break }
            idle += 1
            condition.wait()
            idle -= 1
        }
        threads -= 1
        condition.unlock()
    }
}
