import Foundation
import Synchronization

/// The checks /readyz runs: each names a dependency (PostgreSQL, the broker, an upstream
/// service) and says whether this service can use it right now.
///
/// A check that throws or exceeds `timeout` counts as not ready; its error is logged, and
/// /readyz shows only the check's name and "failing", never the error text.
public final class ReadinessChecks: Sendable {
    public typealias Check = @Sendable () async throws -> Void

    private struct State {
        var checks: [(name: String, check: Check)] = []
        var draining = false
        /// The last evaluation started, shared by every /readyz within `maxAge` of its start.
        var latest: (startedAt: ContinuousClock.Instant, evaluation: Task<(ready: Bool, results: [String: String]), Never>)?
    }

    private let state = Mutex(State())
    public let timeout: Duration

    public init(timeout: Duration = .seconds(2)) {
        self.timeout = timeout
    }

    /// Adds a named check.
    public func add(_ name: String, _ check: @escaping Check) {
        state.withLock { $0.checks.append((name, check)) }
    }

    /// Marks the service as shutting down: from now on it reports not ready, so load
    /// balancers stop sending it work while in-flight requests finish.
    public func beginDraining() { state.withLock { $0.draining = true } }

    /// The outcome of an evaluation started less than `maxAge` ago, or of a new one: however
    /// many callers ask, the checks (which may call other services) run at most once per
    /// `maxAge`. Draining shows at once.
    public func recentEvaluation(maxAge: Duration, logger: Logger) async -> (ready: Bool, results: [String: String]) {
        let evaluation = state.withLock { state in
            if let latest = state.latest, ContinuousClock.now - latest.startedAt < maxAge { return latest.evaluation }
            let evaluation = Task { await self.evaluate(logger: logger) }
            state.latest = (ContinuousClock.now, evaluation)
            return evaluation
        }
        var (ready, results) = await evaluation.value
        if state.withLock({ $0.draining }) {
            ready = false
            results["shutdown"] = "draining"
        }
        return (ready, results)
    }

    /// Runs every check concurrently; the result maps each name to its outcome.
    public func evaluate(logger: Logger) async -> (ready: Bool, results: [String: String]) {
        let (snapshot, isDraining) = state.withLock { ($0.checks, $0.draining) }
        var results: [String: String] = [:]
        await withTaskGroup(of: (String, Bool).self) { group in
            for (name, check) in snapshot {
                group.addTask { [timeout] in
                    let passed = await ReadinessChecks.run(check, timeout: timeout, name: name, logger: logger)
                    return (name, passed)
                }
            }
            for await (name, passed) in group { results[name] = passed ? "ok" : "failing" }
        }
        if isDraining { results["shutdown"] = "draining" }
        return (!isDraining && results.values.allSatisfy { $0 == "ok" }, results)
    }

    private static func run(_ check: @escaping Check, timeout: Duration, name: String, logger: Logger) async -> Bool {
        await withTaskGroup(of: Bool?.self) { group in
            group.addTask {
                do {
                    try await check()
                    return true
                } catch {
                    logger.warning("readiness check failed", ["check": name, "error": String(describing: error)])
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : false
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if first == false { logger.warning("readiness check failed or timed out", ["check": name]) }
            return first ?? false
        }
    }
}
