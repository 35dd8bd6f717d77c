/// A staff user assigned to work a client (the leads API's `agents`).
///
/// `agentId` is the user's public number, as the leads API shows user ids; `agentName` is
/// the name shown beside it, kept as it was when assigned.
public struct AgentAssignment: Sendable, Equatable, Hashable, Codable {
    public var agentId: Int64
    public var agentName: String

    public init(agentId: Int64, agentName: String) {
        self.agentId = agentId
        self.agentName = agentName
    }
}
