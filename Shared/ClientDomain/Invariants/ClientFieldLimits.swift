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
    /// Limits of the admin API's free-text fields, by field name.
    public var maxTextLengths: [String: Int] = [
        "displayName": 200, "bio": 2000, "jobTitle": 200, "companyName": 200, "industry": 100,
        "location": 200, "provider": 50, "website": 500, "avatar": 1000,
    ]
    /// Usernames: 3 to 50 of a-z, 0-9, `.`, `_`, `-` (any case), starting with a letter or digit.
    public var usernameLengths = 3...50

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
        let texts: [(String, String?)] = [
            ("displayName", profile.displayName), ("bio", profile.bio), ("jobTitle", profile.jobTitle),
            ("companyName", profile.companyName), ("industry", profile.industry), ("location", profile.location),
            ("provider", profile.provider), ("website", profile.website), ("avatar", profile.avatar),
        ]
        for case let (field, text?) in texts {
            let max = maxTextLengths[field] ?? 200
            try check(text.count <= max, field: field, "must be at most \(max) characters")
        }
        if let username = profile.username {
            try check(Self.isUsername(username, lengths: usernameLengths), field: "username",
                      "must be \(usernameLengths.lowerBound) to \(usernameLengths.upperBound) letters, digits, '.', '_' or '-'")
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

    public static func isUsername(_ value: String, lengths: ClosedRange<Int>) -> Bool {
        let bytes = Array(value.utf8)
        guard lengths.contains(bytes.count), let first = bytes.first, Self.isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { Self.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
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

