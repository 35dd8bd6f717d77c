import ClientDomain

/// An event as read back from the store: its envelope and its global position.
///
/// Positions grow with every append across all streams; within one stream they follow
/// the stream's versions.
public struct StoredEvent: Sendable, Equatable {
    public var position: Int64
    public var envelope: EventEnvelope

    public init(position: Int64, envelope: EventEnvelope) {
        self.position = position
        self.envelope = envelope
    }
}
