import Coordination
import Foundation

/// Read-your-writes waiters of a projection: `VersionWaiters` keyed by stream id, taking the
/// committed `AppliedVersion`s and answering with `StreamVisibility`.
public typealias AppliedVersionWaiters = VersionWaiters<UUID>

extension VersionWaiters where Key == UUID {
    /// Wakes the waiters these committed versions satisfy.
    public func published(_ versions: [AppliedVersion]) {
        published(versions.lazy.map { (key: $0.streamId, version: $0.version) })
    }

    /// Wakes the waiters of these streams at these versions or lower: the commit parked them.
    public func parked(_ versions: [AppliedVersion]) {
        parked(versions.lazy.map { (key: $0.streamId, version: $0.version) })
    }

    /// Returns what the read model holds once its applied version of `streamId` is `version`
    /// or later, or the stream is parked at `version` or later; else what it holds when
    /// `timeout` passes (see `VersionWaiters.wait(for:version:timeout:current:)`).
    public func wait(streamId: UUID, version: Int64, timeout: Duration,
                     current: @Sendable () async throws -> StreamVisibility) async throws -> StreamVisibility {
        StreamVisibility(try await wait(for: streamId, version: version, timeout: timeout) { HeldVersion(try await current()) })
    }
}

extension StreamVisibility {
    public init(_ held: HeldVersion) {
        self.init(applied: held.applied, parked: held.parked)
    }
}

extension HeldVersion {
    public init(_ visibility: StreamVisibility) {
        self.init(applied: visibility.applied, parked: visibility.parked)
    }
}
