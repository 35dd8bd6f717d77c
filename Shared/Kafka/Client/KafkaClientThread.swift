import Foundation

/// One dedicated OS thread per Kafka client, on which every blocking librdkafka call runs.
///
/// librdkafka's poll, flush, consumer poll, admin result waits and destroy block the calling
/// thread; on Swift's cooperative pool (two threads on a two-core machine) that would stall
/// unrelated tasks. Async callers hand work to this thread with `run(_:)` and suspend on a
/// continuation until it is done. Jobs run one at a time in submission order.
///
/// When no job is waiting the thread calls `idle` (the producer polls for delivery reports
/// there, returning at least every 100 ms) or, without one, sleeps until a job arrives.
/// `wake` is called after a job is queued so that a blocking `idle` can return early.
final class KafkaClientThread: @unchecked Sendable {
    // @unchecked Sendable: `jobs` and `stopping` are only touched while holding `condition`;
    // `idle` and `wake` are immutable @Sendable closures. A condition variable rather than a
    // Mutex: the thread sleeps on it until a job arrives.
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false
    private let idle: (@Sendable () -> Void)?
    private let wake: (@Sendable () -> Void)?

    init(name: String, idle: (@Sendable () -> Void)? = nil, wake: (@Sendable () -> Void)? = nil) {
        self.idle = idle
        self.wake = wake
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.start()
    }

    /// Queues `job`; false if the thread has been told to stop (the job will not run).
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            return false
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
        wake?()
        return true
    }

    /// Runs `body` on this thread and returns its result; throws `closedError` if the thread
    /// has stopped. Not cancellable: a blocking librdkafka call cannot be interrupted.
    func run<T: Sendable>(closedError: KafkaError, _ body: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            let queued = submit {
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
            if !queued { continuation.resume(returning: .failure(closedError)) }
        }
        return try result.get()
    }

    /// Runs the jobs already queued, then ends the thread; later submissions are refused.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        wake?()
    }

    private func loop() {
        while true {
            condition.lock()
            if jobs.isEmpty && !stopping && idle == nil {
                condition.wait()
            }
            let batch = jobs
            jobs.removeAll()
            let done = stopping && batch.isEmpty
            condition.unlock()
            for job in batch { job() }
            if done { break }
            if batch.isEmpty, let idle { idle() }
        }
    }
}
