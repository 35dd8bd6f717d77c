import EventLog
import Foundation
import Postgres

/// One republish of the whole event store into the events topic: a row of `log_republishes`.
///
/// The outbox relay runs it, instead of the outbox, until it is done: every event up to
/// `throughPosition` (the store's last position when it started) is sent again in position
/// order, keyed by client, so each client's events reach the log in version order. Its cursor
/// (`nextPosition`) moves in the same transaction that records what Kafka acknowledged, so
/// a relay that dies mid-way (or loses its lease) leaves it where the next one continues.
///
/// Each republish starts a new log epoch (`epoch`): from then on every record the relay
/// sends carries it (`CloudEventsKafkaBinding.logEpochHeader`), so a projection reading a
/// record of a newer epoch knows the log it was reading was replaced and reads the new one
/// from the start.
public struct LogRepublish: Sendable, Equatable {
    /// Why a republish started.
    public enum Reason: String, Sendable {
        /// The broker no longer holds records the relay had published (it lost its log).
        case logLost = "log_lost"
        /// The events topic was missing; the relay created it again.
        case topicMissing = "topic_missing"
        /// Nothing was ever published to this topic, but the store holds published events
        /// (the deployment moved to a fresh topic).
        case newTopic = "new_topic"
        /// An operator asked for it (`clientctl republish`).
        case operatorRequest = "operator"
    }

    public enum State: String, Sendable {
        case running
        case done
        /// The log was lost again while it ran; a newer republish replaced it.
        case superseded
    }

    public var epoch: Int64
    public var topic: String
    public var reason: String
    public var state: State
    /// The last event position it republishes (events after it go through the outbox).
    public var throughPosition: Int64
    /// Events up to `throughPosition` when it started.
    public var totalEvents: Int64
    /// Every event at or before this position has been republished.
    public var nextPosition: Int64
    public var eventsPublished: Int64
    public var startedAt: Date
    /// When a relay last took it up (started or resumed it), and its count then: the rate is
    /// measured from there.
    public var resumedAt: Date
    public var publishedAtResume: Int64
    public var updatedAt: Date
    public var finishedAt: Date?

    /// Events per second since it was last taken up; 0 before any progress.
    public var eventsPerSecond: Double {
        let seconds = updatedAt.timeIntervalSince(resumedAt)
        guard seconds > 0 else { return 0 }
        return Double(eventsPublished - publishedAtResume) / seconds
    }

    static let columns = """
        epoch, topic, reason, state, through_position, total_events, next_position, events_published,
        started_at, resumed_at, published_at_resume, updated_at, finished_at
        """

    init(row: PostgresRow) throws {
        epoch = try row.decode(0, as: Int64.self)
        topic = try row.decode(1, as: String.self)
        reason = try row.decode(2, as: String.self)
        state = State(rawValue: try row.decode(3, as: String.self)) ?? .superseded
        throughPosition = try row.decode(4, as: Int64.self)
        totalEvents = try row.decode(5, as: Int64.self)
        nextPosition = try row.decode(6, as: Int64.self)
        eventsPublished = try row.decode(7, as: Int64.self)
        startedAt = try row.decode(8, as: Date.self)
        resumedAt = try row.decode(9, as: Date.self)
        publishedAtResume = try row.decode(10, as: Int64.self)
        updatedAt = try row.decode(11, as: Date.self)
        finishedAt = try row.decodeIfPresent(12, as: Date.self)
    }
}
