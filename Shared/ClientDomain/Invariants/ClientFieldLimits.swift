import Errors

/// Size and character limits on profile fields, checked on every proposed profile: the
/// command service's decider runs `validate` for every create and update, whichever API
/// sent it, and each API's input adapter checks the same limits first so that it can answer
/// in its own error shape.
///
/// Every free-text field has a `TextLimit`: characters, UTF-8 bytes (4 per character) and no
/// control characters or noncharacters (multi-line fields keep line feed and tab):
///
/// | field | characters | bytes | indexed by |
/// |---|---|---|---|
/// | name | 200 | 800 | search: B-tree (tenant, name, id), trigram |
/// | email | 254 | 254 | search: B-tree (tenant, email, id), (tenant, lower(domain)), trigram; unique claim |
/// | phone | 50 | 200 | search: B-tree (tenant, phone, id), trigram |
/// | notes (multi-line) | 10,000 | 40,000 | – |
/// | address (multi-line) | 500 | 2,000 | – |
/// | source | 100 | 400 | – |
/// | agents' agentName | 200 | 800 | – (in the `agents` jsonb) |
/// | displayName | 200 | 800 | search: B-tree (tenant, display_name, id), trigram |
/// | bio (multi-line) | 2,000 | 8,000 | – |
/// | jobTitle | 200 | 800 | – |
/// | companyName | 200 | 800 | search: B-tree (tenant, company_name, id), trigram; stats key |
/// | industry | 100 | 400 | search: trigram; stats key |
/// | location | 200 | 800 | search: trigram; stats key of its country (last comma-separated part) |
/// | provider | 50 | 200 | stats key |
/// | website | 500 | 2,000 | – |
/// | avatar | 2,048 | 8,192 | – |
///
/// Usernames are 3 to 50 ASCII letters, digits, `.`, `_`, `-` (a unique claim). So the
/// largest indexed value accepted is 800 bytes, and the largest B-tree entry about 850
/// bytes ((tenant, value, id) in the search read model; (tenant, dimension, value) and
/// (tenant, dimension, count, value) in the stats read model), far under PostgreSQL's
/// 2,704-byte limit; `ReadModelLimits` checks that bound on every profile as a backstop.
public struct ClientFieldLimits: Sendable {
    public var name = TextLimit(characters: 200)
    /// RFC 5321's 254 octets: one byte per character at most.
    public var email = TextLimit(characters: 254, bytes: 254)
    public var phone = TextLimit(characters: 50)
    public var notes = TextLimit(characters: 10_000, multiLine: true)
    public var address = TextLimit(characters: 500, multiLine: true)
    public var source = TextLimit(characters: 100)
    public var maxAgents = 50
    public var agentName = TextLimit(characters: 200)
    public var displayName = TextLimit(characters: 200)
    public var bio = TextLimit(characters: 2_000, multiLine: true)
    public var jobTitle = TextLimit(characters: 200)
    public var companyName = TextLimit(characters: 200)
    public var industry = TextLimit(characters: 100)
    public var location = TextLimit(characters: 200)
    public var provider = TextLimit(characters: 50)
    public var website = TextLimit(characters: 500)
    /// The workspace API's `avatarUrl` too (which it keeps to 2,048 bytes of ASCII).
    public var avatar = TextLimit(characters: 2_048)
    /// Usernames: 3 to 50 of a-z, 0-9, `.`, `_`, `-` (any case), starting with a letter or digit.
    public var usernameLengths = 3...50

    public init() {}

    /// The profile's free-text fields that are set (agents' names under `agents`), each with
    /// its limit, in the order `validate` checks them.
    public func texts(of profile: ClientProfile) -> [(field: String, text: String, limit: TextLimit)] {
        let fields: [(String, String?, TextLimit)] = [
            ("name", profile.name, name), ("email", profile.email, email), ("phone", profile.phone, phone),
            ("notes", profile.notes, notes), ("address", profile.address, address), ("source", profile.source, source),
            ("displayName", profile.displayName, displayName), ("bio", profile.bio, bio), ("jobTitle", profile.jobTitle, jobTitle),
            ("companyName", profile.companyName, companyName), ("industry", profile.industry, industry),
            ("location", profile.location, location), ("provider", profile.provider, provider),
            ("website", profile.website, website), ("avatar", profile.avatar, avatar),
        ]
        var texts = fields.compactMap { field, text, limit in text.map { (field: field, text: $0, limit: limit) } }
        for agent in profile.agents ?? [] { texts.append((field: "agents", text: agent.agentName, limit: agentName)) }
        return texts
    }

    /// Throws `invalidArgument` naming the first bad field.
    ///
    /// With `previous` (an update: the profile before it), the text limits apply to the values
    /// the update sets, so a value stored under older rules does not block changes to other
    /// fields (the admin API cannot even set a `name`); what the stores cannot hold
    /// (`ReadModelLimits`) is refused in the whole profile.
    public func validate(_ profile: ClientProfile, previous: ClientProfile? = nil) throws {
        if let name = profile.name {
            try check(!TextLimit.isBlank(name), field: "name", "must not be empty")
        }
        // Compared as bytes: Swift's `==` on strings is canonical equivalence, under which a
        // decomposed value (more bytes) equals its precomposed one.
        func key(_ field: String, _ text: String) -> [UInt8] { Array(field.utf8) + [0] + Array(text.utf8) }
        let kept = Set((previous.map(texts(of:)) ?? []).map { key($0.field, $0.text) })
        for (field, text, limit) in texts(of: profile) where !kept.contains(key(field, text)) {
            if let problem = limit.problem(text) {
                throw ClienteleError(.invalidArgument, field == "agents" ? "agents agentName \(problem)" : "\(field) \(problem)",
                                     context: ["field": field])
            }
        }
        if let email = profile.email {
            try check(Self.looksLikeEmail(email), field: "email", "must be a valid email address")
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
            }
        }
        try CareSchema.validate(profile, previous: previous)
        try WorkspaceFieldLimits().validate(profile.workspace)
        try ReadModelLimits.check(profile)
    }

    public static func isUsername(_ value: String, lengths: ClosedRange<Int>) -> Bool {
        let bytes = Array(value.utf8)
        guard lengths.contains(bytes.count), let first = bytes.first, Self.isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { Self.isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte)
    }

    /// One `@`, a non-empty local part, a domain of two or more dot-separated labels (none
    /// empty), no spaces or control characters; read code point by code point, as the OpenAPI
    /// document's pattern reads it.
    public static func looksLikeEmail(_ value: String) -> Bool {
        let scalars = Array(value.unicodeScalars)
        guard scalars.allSatisfy({ $0.value > 0x20 && !TextLimit.isControl($0, multiLine: false) }) else { return false }
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }

    private func check(_ condition: Bool, field: String, _ problem: String) throws {
        guard condition else {
            throw ClienteleError(.invalidArgument, "\(field) \(problem)", context: ["field": field])
        }
    }
}
