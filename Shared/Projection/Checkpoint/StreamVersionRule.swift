/// Decides what a read model does with an event, given the last version it applied of the
/// event's stream.
///
/// Events of one stream must be applied in version order without gaps. Kafka redelivers
/// (after a crash before the offsets were committed, or when the outbox relay resends), and
/// the relay resends the whole rest of a stream after a failure, so an event can arrive
/// twice or ahead of one still to come; both are skipped, the early one because the resent
/// stream brings it again in order.
public enum StreamVersionRule: Sendable, Equatable {
    /// The next version: apply it.
    case apply
    /// At or behind the applied version: already applied, skip.
    case duplicate
    /// Past the next version: an earlier event is missing, skip until the gap fills.
    case early

    /// The rule for an event at `version` when the stream is at `lastApplied` (0: none yet).
    public static func decide(version: Int64, lastApplied: Int64) -> StreamVersionRule {
        if version == lastApplied + 1 { return .apply }
        return version <= lastApplied ? .duplicate : .early
    }
}
