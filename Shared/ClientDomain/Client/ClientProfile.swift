/// The fields a client has, across the APIs that show them.
///
/// Every field but `status` is optional: each API requires its own subset (the organization
/// API requires `name`, the admin API `email`). Fields added later must be optional so that
/// older events still decode, and absent ones are left out of the JSON.
public struct ClientProfile: Sendable, Equatable, Codable {
    public var name: String?
    public var email: String?
    public var phone: String?
    public var notes: String?
    /// Contact methods and custom fields (the workspace API); nil when neither was ever set.
    public var workspace: WorkspaceFields?
    public var status: ClientStatus
    /// A postal or street address (the leads API).
    public var address: String?
    /// Where the lead came from, e.g. `referral` (the leads API).
    public var source: String?
    /// The staff users working this client (the leads API's agents), in the order given; a new list replaces the whole list.
    public var agents: [AgentAssignment]?
    /// The name the admin API shows (defaults there to the email's local part).
    public var displayName: String?
    /// Unique within the tenant, ignoring case (the admin API).
    public var username: String?
    public var bio: String?
    public var jobTitle: String?
    /// The client's own company or employer (the admin API's `company`), not the tenant.
    public var companyName: String?
    public var industry: String?
    public var website: String?
    /// Free text; the stats' country is its last comma-separated part.
    public var location: String?
    /// `individual`, `business` or `enterprise`; nil reads as `individual`.
    public var accountType: AccountType?
    /// `free`, `standard` or `premium`; nil reads as `free`.
    public var plan: Plan?
    /// How the client authenticates, e.g. `google`, `github`, `email`.
    public var provider: String?
    public var emailVerified: Bool?
    public var twoFactorEnabled: Bool?
    /// The avatar image's URL.
    public var avatar: String?
    /// The care (NDIS) API's sections (`CareProfile`); nil for a client without them.
    public var care: CareProfile?

    public init(name: String? = nil, email: String? = nil, phone: String? = nil, notes: String? = nil, status: ClientStatus = .active, address: String? = nil, source: String? = nil, agents: [AgentAssignment]? = nil, displayName: String? = nil, username: String? = nil, bio: String? = nil, jobTitle: String? = nil, companyName: String? = nil, industry: String? = nil, website: String? = nil, location: String? = nil, accountType: AccountType? = nil, plan: Plan? = nil, provider: String? = nil, emailVerified: Bool? = nil, twoFactorEnabled: Bool? = nil, avatar: String? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.notes = notes
        self.status = status
        self.address = address
        self.source = source
        self.agents = agents
        self.displayName = displayName
        self.username = username
        self.bio = bio
        self.jobTitle = jobTitle
        self.companyName = companyName
        self.industry = industry
        self.website = website
        self.location = location
        self.accountType = accountType
        self.plan = plan
        self.provider = provider
        self.emailVerified = emailVerified
        self.twoFactorEnabled = twoFactorEnabled
        self.avatar = avatar
    }

    /// This profile with `changes` applied.
    public func applying(_ changes: ClientProfileChanges) -> ClientProfile {
        var copy = self
        changes.name.apply(to: &copy.name)
        changes.email.apply(to: &copy.email)
        changes.phone.apply(to: &copy.phone)
        changes.notes.apply(to: &copy.notes)
        changes.workspace.apply(to: &copy.workspace)
        changes.address.apply(to: &copy.address)
        changes.source.apply(to: &copy.source)
        changes.agents.apply(to: &copy.agents)
        changes.displayName.apply(to: &copy.displayName)
        changes.username.apply(to: &copy.username)
        changes.bio.apply(to: &copy.bio)
        changes.jobTitle.apply(to: &copy.jobTitle)
        changes.companyName.apply(to: &copy.companyName)
        changes.industry.apply(to: &copy.industry)
        changes.website.apply(to: &copy.website)
        changes.location.apply(to: &copy.location)
        changes.accountType.apply(to: &copy.accountType)
        changes.plan.apply(to: &copy.plan)
        changes.provider.apply(to: &copy.provider)
        changes.emailVerified.apply(to: &copy.emailVerified)
        changes.twoFactorEnabled.apply(to: &copy.twoFactorEnabled)
        changes.avatar.apply(to: &copy.avatar)
        changes.care?.apply(to: &copy)
        if let status = changes.status { copy.status = status }
        return copy
    }
}

/// A partial update: each field is left alone, set, or cleared (`status` only set).
public struct ClientProfileChanges: Sendable, Equatable, Codable {
    public var name: FieldChange<String> = .unchanged
    public var email: FieldChange<String> = .unchanged
    public var phone: FieldChange<String> = .unchanged
    public var notes: FieldChange<String> = .unchanged
    /// Contact methods replaced, custom fields merged by key; nil changes neither.
    public var workspace: WorkspaceFieldChanges?
    public var address: FieldChange<String> = .unchanged
    public var source: FieldChange<String> = .unchanged
    public var agents: FieldChange<[AgentAssignment]> = .unchanged
    public var displayName: FieldChange<String> = .unchanged
    public var username: FieldChange<String> = .unchanged
    public var bio: FieldChange<String> = .unchanged
    public var jobTitle: FieldChange<String> = .unchanged
    public var companyName: FieldChange<String> = .unchanged
    public var industry: FieldChange<String> = .unchanged
    public var website: FieldChange<String> = .unchanged
    public var location: FieldChange<String> = .unchanged
    public var accountType: FieldChange<AccountType> = .unchanged
    public var plan: FieldChange<Plan> = .unchanged
    public var provider: FieldChange<String> = .unchanged
    public var emailVerified: FieldChange<Bool> = .unchanged
    public var twoFactorEnabled: FieldChange<Bool> = .unchanged
    public var avatar: FieldChange<String> = .unchanged
    /// A merge patch of the care sections (`CarePatch`); nil leaves them alone.
    public var care: CarePatch?
    public var status: ClientStatus?

    public init(name: FieldChange<String> = .unchanged, email: FieldChange<String> = .unchanged, phone: FieldChange<String> = .unchanged, notes: FieldChange<String> = .unchanged, status: ClientStatus? = nil, address: FieldChange<String> = .unchanged, source: FieldChange<String> = .unchanged, agents: FieldChange<[AgentAssignment]> = .unchanged, displayName: FieldChange<String> = .unchanged, username: FieldChange<String> = .unchanged, bio: FieldChange<String> = .unchanged, jobTitle: FieldChange<String> = .unchanged, companyName: FieldChange<String> = .unchanged, industry: FieldChange<String> = .unchanged, website: FieldChange<String> = .unchanged, location: FieldChange<String> = .unchanged, accountType: FieldChange<AccountType> = .unchanged, plan: FieldChange<Plan> = .unchanged, provider: FieldChange<String> = .unchanged, emailVerified: FieldChange<Bool> = .unchanged, twoFactorEnabled: FieldChange<Bool> = .unchanged, avatar: FieldChange<String> = .unchanged) {
        self.name = name
        self.email = email
        self.phone = phone
        self.notes = notes
        self.address = address
        self.source = source
        self.agents = agents
        self.displayName = displayName
        self.username = username
        self.bio = bio
        self.jobTitle = jobTitle
        self.companyName = companyName
        self.industry = industry
        self.website = website
        self.location = location
        self.accountType = accountType
        self.plan = plan
        self.provider = provider
        self.emailVerified = emailVerified
        self.twoFactorEnabled = twoFactorEnabled
        self.avatar = avatar
        self.status = status
    }

    /// The changes that differ from `profile`; empty when the update would change nothing.
    public func effective(against profile: ClientProfile) -> ClientProfileChanges {
        var changes = ClientProfileChanges()
        changes.name = name.effective(against: profile.name)
        changes.email = email.effective(against: profile.email)
        changes.phone = phone.effective(against: profile.phone)
        changes.notes = notes.effective(against: profile.notes)
        changes.workspace = workspace?.effective(against: profile.workspace)
        changes.address = address.effective(against: profile.address)
        changes.source = source.effective(against: profile.source)
        changes.agents = agents.effective(against: profile.agents)
        changes.displayName = displayName.effective(against: profile.displayName)
        changes.username = username.effective(against: profile.username)
        changes.bio = bio.effective(against: profile.bio)
        changes.jobTitle = jobTitle.effective(against: profile.jobTitle)
        changes.companyName = companyName.effective(against: profile.companyName)
        changes.industry = industry.effective(against: profile.industry)
        changes.website = website.effective(against: profile.website)
        changes.location = location.effective(against: profile.location)
        changes.accountType = accountType.effective(against: profile.accountType)
        changes.plan = plan.effective(against: profile.plan)
        changes.provider = provider.effective(against: profile.provider)
        changes.emailVerified = emailVerified.effective(against: profile.emailVerified)
        changes.twoFactorEnabled = twoFactorEnabled.effective(against: profile.twoFactorEnabled)
        changes.avatar = avatar.effective(against: profile.avatar)
        changes.care = care?.effective(against: profile)
        changes.status = status == profile.status ? nil : status
        return changes
    }

    public var isEmpty: Bool { self == ClientProfileChanges() }

    enum CodingKeys: String, CodingKey {
        case status, name, email, phone, notes, address, source, agents, displayName, username, bio, jobTitle, companyName, industry, website, location, accountType, plan, provider, emailVerified, twoFactorEnabled, avatar, care
    }

    /// Absent keys are unchanged, `null` clears, a value sets.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        workspace = try decoder.container(keyedBy: WorkspaceCodingKey.self).decodeIfPresent(WorkspaceFieldChanges.self, forKey: .workspace)
        name = try FieldChange.decode(from: container, key: .name)
        email = try FieldChange.decode(from: container, key: .email)
        phone = try FieldChange.decode(from: container, key: .phone)
        notes = try FieldChange.decode(from: container, key: .notes)
        address = try FieldChange.decode(from: container, key: .address)
        source = try FieldChange.decode(from: container, key: .source)
        agents = try FieldChange.decode(from: container, key: .agents)
        displayName = try FieldChange.decode(from: container, key: .displayName)
        username = try FieldChange.decode(from: container, key: .username)
        bio = try FieldChange.decode(from: container, key: .bio)
        jobTitle = try FieldChange.decode(from: container, key: .jobTitle)
        companyName = try FieldChange.decode(from: container, key: .companyName)
        industry = try FieldChange.decode(from: container, key: .industry)
        website = try FieldChange.decode(from: container, key: .website)
        location = try FieldChange.decode(from: container, key: .location)
        accountType = try FieldChange.decode(from: container, key: .accountType)
        plan = try FieldChange.decode(from: container, key: .plan)
        provider = try FieldChange.decode(from: container, key: .provider)
        emailVerified = try FieldChange.decode(from: container, key: .emailVerified)
        twoFactorEnabled = try FieldChange.decode(from: container, key: .twoFactorEnabled)
        avatar = try FieldChange.decode(from: container, key: .avatar)
        care = try container.decodeIfPresent(CarePatch.self, forKey: .care)
        status = try container.decodeIfPresent(ClientStatus.self, forKey: .status)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var workspaceContainer = encoder.container(keyedBy: WorkspaceCodingKey.self)
        try workspaceContainer.encodeIfPresent(workspace, forKey: .workspace)
        try name.encode(to: &container, key: .name)
        try email.encode(to: &container, key: .email)
        try phone.encode(to: &container, key: .phone)
        try notes.encode(to: &container, key: .notes)
        try address.encode(to: &container, key: .address)
        try source.encode(to: &container, key: .source)
        try agents.encode(to: &container, key: .agents)
        try displayName.encode(to: &container, key: .displayName)
        try username.encode(to: &container, key: .username)
        try bio.encode(to: &container, key: .bio)
        try jobTitle.encode(to: &container, key: .jobTitle)
        try companyName.encode(to: &container, key: .companyName)
        try industry.encode(to: &container, key: .industry)
        try website.encode(to: &container, key: .website)
        try location.encode(to: &container, key: .location)
        try accountType.encode(to: &container, key: .accountType)
        try plan.encode(to: &container, key: .plan)
        try provider.encode(to: &container, key: .provider)
        try emailVerified.encode(to: &container, key: .emailVerified)
        try twoFactorEnabled.encode(to: &container, key: .twoFactorEnabled)
        try avatar.encode(to: &container, key: .avatar)
        try container.encodeIfPresent(care, forKey: .care)
        try container.encodeIfPresent(status, forKey: .status)
    }
}

/// One field of a partial update.
public enum FieldChange<Value: Sendable & Equatable & Codable>: Sendable, Equatable {
    case unchanged
    case set(Value)
    case cleared

    func apply(to field: inout Value?) {
        switch self {
        case .unchanged: break
        case .set(let value): field = value
        case .cleared: field = nil
        }
    }

    func effective(against current: Value?) -> FieldChange<Value> {
        switch self {
        case .unchanged: return .unchanged
        case .set(let value): return value == current ? .unchanged : self
        case .cleared: return current == nil ? .unchanged : self
        }
    }

    static func decode<Key: CodingKey>(from container: KeyedDecodingContainer<Key>, key: Key) throws -> FieldChange<Value> {
        guard container.contains(key) else { return .unchanged }
        if try container.decodeNil(forKey: key) { return .cleared }
        return .set(try container.decode(Value.self, forKey: key))
    }

    func encode<Key: CodingKey>(to container: inout KeyedEncodingContainer<Key>, key: Key) throws {
        switch self {
        case .unchanged: break
        case .set(let value): try container.encode(value, forKey: key)
        case .cleared: try container.encodeNil(forKey: key)
        }
    }
}
