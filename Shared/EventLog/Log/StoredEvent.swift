import ClientDomain
import JSON

/// An event as read back from the store: its envelope and its global position.
///
/// Positions grow with every append across all streams; within one stream they follow
/// the stream's versions.
public struct StoredEvent: Sendable, Equatable {
    public var position: Int64
    public var envelope: EventEnvelope
    /// The event's data whole and parsed, when a reader opened its sealed part
    /// (`EventSealing.open(_:states:)`); `envelope.data` then stays as stored (sealed).
    /// Decoding reads this instead of parsing `envelope.data` (`decoded()`), so an opened
    /// event is parsed once and never written out again.
    public var opened: JSONValue?

    public init(position: Int64, envelope: EventEnvelope, opened: JSONValue? = nil) {
        self.position = position
        self.envelope = envelope
        self.opened = opened
    }

    /// The client event: from `opened` when the event was opened, else from its envelope's data.
    public func decoded() throws -> ClientEvent {
        try ClientEvent.decode(envelope, parsed: opened)
    }
}
