/// The kinds of records a care client keeps beside its profile: goals (with their tasks),
/// medications and appointments. Each rides in the client's own stream
/// (`ClientCareRecordChanged`), so they share the client's order, tenant and privacy.
public enum CareRecordKind: String, Sendable, CaseIterable {
    case goal
    case goalTask = "goal_task"
    case medication
    case appointment

    /// The most records of this kind one client (or, for tasks, one goal) holds, stopped and
    /// cancelled ones included: the client's stream is folded whole on every command.
    public var maxCount: Int {
        switch self {
        case .goal: 100
        case .goalTask: 50
        case .medication: 200
        case .appointment: 20_000
        }
    }
}
