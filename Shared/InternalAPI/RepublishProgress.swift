import Foundation

/// A republish of the event store into the events topic, as the command service reports it
/// (`GET`/`POST` `InternalPaths.republish`) and `clientctl republish` shows it.
public struct RepublishProgress: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// The store was never republished.
        case idle
        case running
        case done
        /// The log was lost again while it ran; a newer republish took over.
        case superseded
    }

    public var state: State
    /// The log epoch it started (0 when idle).
    public var epoch: Int64
    /// `log_lost`, `topic_missing`, `new_topic` or `operator`; nil when idle.
    public var reason: String?
    public var topic: String?
    public var eventsPublished: Int64
    /// Events stored when it started (those it republishes).
    public var totalEvents: Int64
    /// The rate since a relay last took it up.
    public var eventsPerSecond: Double
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(state: State, epoch: Int64, reason: String?, topic: String?, eventsPublished: Int64, totalEvents: Int64,
                eventsPerSecond: Double, startedAt: Date?, finishedAt: Date?) {
        self.state = state
        self.epoch = epoch
        self.reason = reason
        self.topic = topic
        self.eventsPublished = eventsPublished
        self.totalEvents = totalEvents
        self.eventsPerSecond = eventsPerSecond
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

extension InternalPaths {
    /// Command service: `POST` starts a republish of the whole event store into the events
    /// topic (or reports the one running), `GET` reports the latest; both answer a
    /// `RepublishProgress`.
    public static let republish = "/internal/v1/admin/republish"
}
