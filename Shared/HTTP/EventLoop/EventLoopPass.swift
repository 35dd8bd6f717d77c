/// Deferring work to the end of the current pass of the event loop whose thread runs the
/// caller, for code outside this module that gathers what the tasks of one pass ask for and
/// serves it at once (the gateway's coalesced client lookups).
///
/// A loop's pass runs the jobs queued so far (the tasks of the requests it just read, the
/// tasks resumed since the last pass); jobs queued meanwhile run on the next pass. A task runs
/// on a loop when its route has `RouteOptions.runsOnEventLoop`; anywhere else `currentLoop` is
/// nil and `afterQueuedJobs` refuses.
public enum EventLoopPass {
    /// The event loop whose thread runs the caller, as an identity to key per-loop state by;
    /// nil off a loop.
    public static var currentLoop: ObjectIdentifier? {
        EventLoop.current.map(ObjectIdentifier.init)
    }

    /// Queues `job` to run on the caller's loop after every job queued so far (all of the
    /// current pass's); false when the caller is not on a loop or the loop has stopped, and
    /// `job` is dropped.
    ///
    /// The job runs on the loop's thread: it must not block. A task it resumes continues on
    /// a later job.
    public static func afterQueuedJobs(_ job: @escaping @Sendable () -> Void) -> Bool {
        guard let loop = EventLoop.current else { return false }
        return loop.submit(job)
    }
}
