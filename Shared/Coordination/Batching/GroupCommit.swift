import Synchronization

/// Group commit, leader/follower: concurrent callers' members are written together, one write
/// for a group, and each caller gets its own member's answer.
///
/// A caller finding no write under way writes its member at once (a lone caller waits for
/// nobody). Callers arriving meanwhile queue; when a write ends, its writer hands the next
/// group (taken from the queue by `take`, oldest first) to the first caller of that group,
/// which writes it, and then wakes the others of its own group with their answers. There is
/// no timer and no background task: the writing is done by the callers themselves.
///
/// The event store's appends (`AppendBatcher`) and the care access audit (`CareAccessLog`)
/// both commit this way.
public final class GroupCommit<Member: Sendable, Answer: Sendable>: Sendable {
    /// Picks the next group from the queue (in arrival order): the indices of the members to
    /// write together, in order, at least one when the queue is not empty.
    public typealias Take = @Sendable (_ queue: [Member]) -> [Int]
    /// Writes a group; one answer per member, in order.
    public typealias Write = @Sendable (_ group: [Member]) async -> [Result<Answer, any Error>]

    private let take: Take
    private let state = Mutex(State())

    private struct State {
        /// A group is being written (its writer has not handed over yet).
        var writing = false
        /// Members waiting for the next group, in arrival order.
        var queue: [Waiting] = []
    }

    private struct Waiting: Sendable {
        var member: Member
        var continuation: CheckedContinuation<Turn, Never>
    }

    /// What a waiting caller is woken with: its answer, or the group it now writes (itself first).
    private enum Turn: Sendable {
        case done(Result<Answer, any Error>)
        case lead([Waiting])
    }

    /// Groups of at most `maxGroup` members, oldest first.
    public convenience init(maxGroup: Int) {
        precondition(maxGroup > 0, "maxGroup must be positive")
        self.init { queue in Array(queue.indices.prefix(maxGroup)) }
    }

    /// Groups as `take` picks them.
    public init(take: @escaping Take) {
        self.take = take
    }

    /// Members waiting for the next group (for tests: they queue members behind a group being
    /// written and wait for them here instead of sleeping).
    public var queued: Int { state.withLock { $0.queue.count } }

    /// Writes `member` with those of concurrent callers, by `write` (the same function for
    /// every caller of one instance: the writer of a group uses its own); returns its answer.
    public func commit(_ member: Member, write: Write) async -> Result<Answer, any Error> {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let waiting = Waiting(member: member, continuation: continuation)
            let leads = state.withLock { state in
                if state.writing {
                    state.queue.append(waiting)
                    return false
                }
                state.writing = true
                return true
            }
            if leads { continuation.resume(returning: .lead([waiting])) }
        }
        switch turn {
        case .done(let answer):
            return answer
        case .lead(let group):
            let answers = await write(group.map(\.member))
            precondition(answers.count == group.count, "a group write answers each member")
            let next = state.withLock { state in
                let chosen = state.queue.isEmpty ? [] : take(state.queue.map(\.member))
                precondition(state.queue.isEmpty || !chosen.isEmpty, "take picks at least one member")
                let next = chosen.map { state.queue[$0] }
                let picked = Set(chosen)
                state.queue = state.queue.indices.filter { !picked.contains($0) }.map { state.queue[$0] }
                if next.isEmpty { state.writing = false }
                return next
            }
            if let writer = next.first { writer.continuation.resume(returning: .lead(next)) }
            for (waiting, answer) in zip(group, answers).dropFirst() {
                waiting.continuation.resume(returning: .done(answer))
            }
            return answers[0]
        }
    }
}
