import ClientDomain
import Foundation
import Identity

/// Checks a lead's agents against the users they name.
///
/// Every `agentId` must be the number of an active user belonging to the lead's company;
/// otherwise the whole write is refused (400) naming the agent. An empty `agentName` takes
/// the user's name; a given one is kept as sent.
enum LeadsAgents {
    static func resolve(_ agents: [AgentAssignment], companyId: UUID, identity: IdentityStore) async throws -> [AgentAssignment] {
        guard !agents.isEmpty else { return agents }
        let users = try await identity.users(numbers: Set(agents.map(\.agentId)))
        var issues: [ValidationFailure.Issue] = []
        var resolved: [AgentAssignment] = []
        for (index, agent) in agents.enumerated() {
            guard let user = users[agent.agentId], user.active, user.companyIds.contains(companyId) else {
                issues.append(.init(field: "agents[\(index)].agentId",
                                    message: "names no active user of this company (\(agent.agentId))"))
                continue
            }
            resolved.append(AgentAssignment(agentId: agent.agentId, agentName: agent.agentName.isEmpty ? user.name : agent.agentName))
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return resolved
    }
}
