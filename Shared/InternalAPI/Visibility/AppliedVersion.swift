import Foundation

/// A stream version a projection batch applied, published to read-your-writes waiters once
/// the batch committed (in the projection, and through its `AppliedPage` feed in the gateway).
public struct AppliedVersion: Sendable, Equatable {
    public var streamId: UUID
    public var version: Int64

    public init(streamId: UUID, version: Int64) {
        self.streamId = streamId
        self.version = version
    }
}
