import Foundation

/// One step of sealing the stored history (`InternalPaths.encryptHistory`): `POST` a
/// `Request` (the streams after `after`, by id; none: from the first), answered with a
/// `HistorySealingStep`. `clientctl privacy encrypt-history` steps until `lastStream` is nil.
public struct HistorySealingStep: Codable, Sendable, Equatable {
    public struct Request: Codable, Sendable, Equatable {
        public var after: UUID?

        public init(after: UUID?) { self.after = after }
    }

    /// The most streams one step goes through (one transaction).
    public static let streamsPerStep = 200

    /// The last stream this step went through; nil: no stream was left after `after`.
    public var lastStream: UUID?
    public var streams: Int
    public var eventsSealed: Int

    public init(lastStream: UUID?, streams: Int, eventsSealed: Int) {
        self.lastStream = lastStream
        self.streams = streams
        self.eventsSealed = eventsSealed
    }
}
