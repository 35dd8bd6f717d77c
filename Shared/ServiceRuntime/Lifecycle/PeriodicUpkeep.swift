import Synchronization

/// A housekeeping step run every `interval` in which work was noted for it, as a service.
///
/// Callers on the hot path only `note` how much they did (an atomic add); the step runs on
/// this service's own task, beside them, and is skipped for an interval with nothing noted,
/// so an idle system does no housekeeping. A failed step is logged and tried again at the
/// next interval that has work: housekeeping never stops the service it serves.
public final class PeriodicUpkeep: Service, Sendable {
    public let name: String
    private let interval: Duration
    private let logger: Logger
    private let step: @Sendable () async throws -> Void
    /// Work noted since the step last ran.
    private let noted = Atomic<Int>(0)

    public init(name: String, interval: Duration, logger: Logger, step: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.step = step
    }

    /// Notes `count` units of work for the next interval's step.
    public func note(_ count: Int) {
        if count > 0 { noted.add(count, ordering: .relaxed) }
    }

    public func run() async throws {
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            await GracefulShutdown.sleep(for: interval)
            guard noted.exchange(0, ordering: .relaxed) > 0, !GracefulShutdown.isRequested else { continue }
            do {
                try await step()
            } catch {
                logger.warning("\(name) failed", ["error": String(describing: error)])
            }
        }
    }
}
