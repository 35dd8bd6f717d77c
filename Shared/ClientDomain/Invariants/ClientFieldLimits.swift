import Errors

/// Size and format limits on profile fields, checked on every proposed profile.
public struct ClientFieldLimits: Sendable {
    public var maxNameLength = 200
    public var maxEmailLength = 254
    public var maxPhoneLength = 50
    public var maxNotesLength = 10_000
    public var maxAddressLength = 500
    public var maxSourceLength = 100
    public var maxAgents = 50
    public var maxAgentNameLength = 200

    public init() {}

    /// Throws `invalidArgument` naming the first bad field.
    public func validate(_ profile: ClientProfile) throws {
        if let name = profile.name {
            try check(!name.allSatisfy(\.isWhitespace), field: "name", "must not be empty")
            try check(name.count <= maxNameLength, field: "name", "must be at most \(maxNameLength) characters")
        }
        if let email = profile.email {
            try check(email.count <= maxEmailLength, field: "email", "must be at most \(maxEmailLength) characters")
            try check(Self.looksLikeEmail(email), field: "email", "must be a valid email address")
        }
        if let phone = profile.phone {
            try check(phone.count <= maxPhoneLength, field: "phone", "must be at most \(maxPhoneLength) characters")
        }
        if let notes = profile.notes {
            try check(notes.count <= maxNotesLength, field: "notes", "must be at most \(maxNotesLength) characters")
        }
        if let address = profile.address {
            try check(address.count <= maxAddressLength, field: "address", "must be at most \(maxAddressLength) characters")
        }
        if let source = profile.source {
            try check(source.count <= maxSourceLength, field: "source", "must be at most \(maxSourceLength) characters")
        }
        if let agents = profile.agents {
            try check(agents.count <= maxAgents, field: "agents", "must list at most \(maxAgents) agents")
            try check(Set(agents.map(\.agentId)).count == agents.count, field: "agents", "must not list an agent twice")
            for agent in agents {
                try check(agent.agentId > 0, field: "agents", "agentId must be a positive integer")
                try check(agent.agentName.count <= maxAgentNameLength, field: "agents",
                          "agentName must be at most \(maxAgentNameLength) characters")
            }
        }
    }

    /// One `@`, a non-empty local part, a dotted domain, no spaces or control characters.
    public static func looksLikeEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= 3 else { return false }
        let domain = parts[1]
        guard domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { return false }
        return value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7f }
    }

    private func check(_ condition: Bool, field: String, _ problem: String) throws {
        guard condition else {
            throw ClienteleError(.invalidArgument, "\(field) \(problem)", context: ["field": field])
        }
    }
}

