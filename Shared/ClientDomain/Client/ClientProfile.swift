/// The fields a client has, across the APIs that show them.
///
/// Every field but `status` is optional: each API requires its own subset (the organization
/// API requires `name`, the admin API `email`). Fields added later must be optional so that
/// older events still decode.
public struct ClientProfile: Sendable, Equatable, Codable {
    public var name: String?
    public var email: String?
    public var phone: String?
    public var notes: String?
    public var status: ClientStatus
    /// A postal or street address (the leads API).
    public var address: String?
    /// Where the lead came from, e.g. `referral` (the leads API).
    public var source: String?
    /// The staff users working this client (the leads API's agents), in the order given.
    public var agents: [AgentAssignment]?

    public init(name: String? = nil, email: String? = nil, phone: String? = nil, notes: String? = nil,
                status: ClientStatus = .active, address: String? = nil, source: String? = nil,
                agents: [AgentAssignment]? = nil) {
        self.name = name
        self.email = email
        self.phone = phone
        self.notes = notes
        self.status = status
        self.address = address
        self.source = source
        self.agents = agents
    }

    /// This profile with `changes` applied.
    public func applying(_ changes: ClientProfileChanges) -> ClientProfile {
        var copy = self
        changes.name.apply(to: &copy.name)
        changes.email.apply(to: &copy.email)
        changes.phone.apply(to: &copy.phone)
        changes.notes.apply(to: &copy.notes)
        changes.address.apply(to: &copy.address)
        changes.source.apply(to: &copy.source)
        changes.agents.apply(to: &copy.agents)
        if let status = changes.status { copy.status = status }
        return copy
    }
}

/// A partial update: each field is left alone, set, or cleared.
public struct ClientProfileChanges: Sendable, Equatable, Codable {
    public var name: FieldChange<String> = .unchanged
    public var email: FieldChange<String> = .unchanged
    public var phone: FieldChange<String> = .unchanged
    public var notes: FieldChange<String> = .unchanged
    public var status: ClientStatus?
    public var address: FieldChange<String> = .unchanged
    public var source: FieldChange<String> = .unchanged
    /// A new list replaces the whole assignment list.
    public var agents: FieldChange<[AgentAssignment]> = .unchanged

    public init(name: FieldChange<String> = .unchanged, email: FieldChange<String> = .unchanged,
                phone: FieldChange<String> = .unchanged, notes: FieldChange<String> = .unchanged,
                status: ClientStatus? = nil, address: FieldChange<String> = .unchanged,
                source: FieldChange<String> = .unchanged, agents: FieldChange<[AgentAssignment]> = .unchanged) {
        self.name = name
        self.email = email
        self.phone = phone
        self.notes = notes
        self.status = status
        self.address = address
        self.source = source
        self.agents = agents
    }

    /// The changes that differ from `profile`; empty when the update would change nothing.
    public func effective(against profile: ClientProfile) -> ClientProfileChanges {
        ClientProfileChanges(name: name.effective(against: profile.name), email: email.effective(against: profile.email),
                             phone: phone.effective(against: profile.phone), notes: notes.effective(against: profile.notes),
                             status: status == profile.status ? nil : status,
                             address: address.effective(against: profile.address),
                             source: source.effective(against: profile.source),
                             agents: agents.effective(against: profile.agents))
    }

    public var isEmpty: Bool {
        name == .unchanged && email == .unchanged && phone == .unchanged && notes == .unchanged && status == nil
            && address == .unchanged && source == .unchanged && agents == .unchanged
    }

    enum CodingKeys: String, CodingKey { case name, email, phone, notes, status, address, source, agents }

    /// Absent keys are unchanged, `null` clears, a value sets.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try FieldChange.decode(from: container, key: .name)
        email = try FieldChange.decode(from: container, key: .email)
        phone = try FieldChange.decode(from: container, key: .phone)
        notes = try FieldChange.decode(from: container, key: .notes)
        status = try container.decodeIfPresent(ClientStatus.self, forKey: .status)
        address = try FieldChange.decode(from: container, key: .address)
        source = try FieldChange.decode(from: container, key: .source)
        agents = try FieldChange.decode(from: container, key: .agents)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try name.encode(to: &container, key: .name)
        try email.encode(to: &container, key: .email)
        try phone.encode(to: &container, key: .phone)
        try notes.encode(to: &container, key: .notes)
        try container.encodeIfPresent(status, forKey: .status)
        try address.encode(to: &container, key: .address)
        try source.encode(to: &container, key: .source)
        try agents.encode(to: &container, key: .agents)
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
