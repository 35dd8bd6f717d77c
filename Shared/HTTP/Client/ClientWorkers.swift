import Foundation

/// A pool of dedicated threads for the client's blocking socket work.
///
/// Keeps blocking calls off Swift's cooperative pool. Threads are started on demand up to
/// `maxThreads` and stay for reuse; jobs queue when all are busy.
final class ClientWorkers: @unchecked Sendable {
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

    init(maxThreads: Int) { self.maxThreads = max(1, maxThreads) }

    /// Runs `job` on a worker thread.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        submitted += 1
        let spawn = idle == 0 && threads < maxThreads
        if spawn { threads += 1 }
        condition.signal()
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = "http-client"
            thread.start()
        }
    }

    /// Jobs submitted so far (tests check which calls needed a worker thread).
    var submittedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return submitted
    }

    /// Lets worker threads exit once the queue is empty.
    func stop() {
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
