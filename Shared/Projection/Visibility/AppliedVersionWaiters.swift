import Foundation
import ServiceRuntime

/// Lets requests wait until a projection has applied a stream at a version (read-your-writes).
///
/// The runner calls `published` after each commit; a waiter registered for that stream at
/// that version or lower is woken at once and handed the committed version, without reading
/// the database again. A waiter registers before it reads the current version, so a commit in
/// between is not missed.
public final class AppliedVersionWaiters: @unchecked Sendable {
    // @unchecked Sendable: `waiters` and each waiter's `applied` are only touched under `lock`.
    private let lock = NSLock()
    private var waiters: [UUID: [Waiter]] = [:]

    /// One waiting request: woken through `event`; `applied` is the committed version that
    /// satisfied it (nil when woken to read the version again).
    private final class Waiter {
        let version: Int64
        let event = OneShotEvent()
        var applied: Int64?

        init(version: Int64) { self.version = version }
    }

    public init() {}

    /// Wakes the waiters these committed versions satisfy.
    public func published(_ versions: [AppliedVersion]) {
        guard !versions.isEmpty else { return }
        let ready: [OneShotEvent] = lock.withLock {
            guard !waiters.isEmpty else { return [] }
            var ready: [OneShotEvent] = []
            for applied in versions {
                guard let list = waiters[applied.streamId] else { continue }
                var remaining: [Waiter] = []
                for waiter in list {
                    if waiter.version <= applied.version {
                        waiter.applied = applied.version
                        ready.append(waiter.event)
                    } else {
                        remaining.append(waiter)
                    }
                }
                waiters[applied.streamId] = remaining.isEmpty ? nil : remaining
            }
            return ready
        }
        for event in ready { event.signal() }
    }

    /// Wakes every waiter to read the version again (after a rebuild swapped in new tables,
    /// whose versions were never published one by one).
    public func recheckAll() {
        let all: [OneShotEvent] = lock.withLock {
            defer { waiters.removeAll() }
            return waiters.values.flatMap { $0.map(\.event) }
        }
        for event in all { event.signal() }
    }

    /// Returns the applied version once it is `version` or later, or the version held when
    /// `timeout` passes (which may be lower, or nil if the stream is unknown).
    ///
    /// - Parameter current: reads the version the read model holds now.
    public func wait(streamId: UUID, version: Int64, timeout: Duration,
                     current: @Sendable () async throws -> Int64?) async throws -> Int64? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let waiter = Waiter(version: version)
            let event = waiter.event
            lock.withLock { waiters[streamId, default: []].append(waiter) }
            defer { remove(event, streamId: streamId) }
            let held = try await current()
            if let held, held >= version { return held }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero || Task.isCancelled { return held }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await event.wait() }
                group.addTask { try? await Task.sleep(for: remaining) }
                await group.next()
                group.cancelAll()
            }
            if let applied = lock.withLock({ waiter.applied }) { return applied }
        }
    }

    /// Waiters currently registered (for tests and metrics).
    public var count: Int { lock.withLock { waiters.values.reduce(0) { $0 + $1.count } } }

    private func remove(_ event: OneShotEvent, streamId: UUID) {
        lock.withLock {
            guard var list = waiters[streamId] else { return }
            list.removeAll { $0.event === event }
            waiters[streamId] = list.isEmpty ? nil : list
        }
    }
}
