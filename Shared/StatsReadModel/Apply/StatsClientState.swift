import ClientDomain
import Foundation
import Postgres
import Projection

/// One row of `stats_clients` while a batch is folded in memory: what a client's counters
/// depend on, so the next event can take the old contribution away before adding the new.
///
/// Mirrors the search read model's row for the same fields: `createdDay` is the day of the
/// creating event, `lastActiveDay` the day of the last activity event applied (by version,
/// not the latest time), `submissions` the activity events with a submission. A tombstone
/// (deleted) holds only id, tenant and version, and counts nowhere.
struct StatsClientState: Sendable, Equatable, StreamFoldState {
    var id: UUID
    var tenantId: UUID
    var version: Int64
    var deleted: Bool
    /// Nil only in a tombstone.
    var status: ClientStatus?
    var plan: Plan?
    var accountType: AccountType?
    var provider: String?
    /// The country of the client's location (`StatsValue.country`); the location itself is
    /// not kept.
    var country: String?
    var company: String?
    var industry: String?
    var submissions: Int64
    /// Nil only in a tombstone.
    var createdDay: StatsDay?
    var lastActiveDay: StatsDay?

    /// The columns in the order `init(row:)` reads them.
    static let columns = """
        id, tenant_id, version, deleted, status, plan, account_type, provider, country, company, industry, submissions, \
        created_day, last_active_day
        """
    /// `columns` for a SELECT (days as `YYYY-MM-DD` text, whatever the session's DateStyle).
    static let selectList = """
        id, tenant_id, version, deleted, status, plan, account_type, provider, country, company, industry, submissions, \
        to_char(created_day, 'YYYY-MM-DD'), to_char(last_active_day, 'YYYY-MM-DD')
        """
    /// The record type of `jsonb_to_recordset` for an upsert of every column.
    static let recordsetTypes = """
        id uuid, tenant_id uuid, version bigint, deleted boolean, status text, plan text, account_type text, provider text, \
        country text, company text, industry text, submissions bigint, created_day date, last_active_day date
        """

    init(row: PostgresRow) throws {
        id = try row.decode(0)
        tenantId = try row.decode(1)
        version = try row.decode(2)
        deleted = try row.decode(3)
        status = try Self.decodeEnum(row, 4, ClientStatus.self)
        plan = try Self.decodeEnum(row, 5, Plan.self)
        accountType = try Self.decodeEnum(row, 6, AccountType.self)
        provider = try row.decodeIfPresent(7)
        country = try row.decodeIfPresent(8)
        company = try row.decodeIfPresent(9)
        industry = try row.decodeIfPresent(10)
        submissions = try row.decode(11)
        createdDay = try Self.decodeDay(row, 12)
        lastActiveDay = try Self.decodeDay(row, 13)
    }

    /// The state a stream's first event creates; nil when that event is not a creation.
    init?(creating event: ClientEvent, envelope: EventEnvelope) {
        guard case .created(let created) = event else { return nil }
        id = envelope.streamId
        tenantId = envelope.tenantId
        version = envelope.streamVersion
        deleted = false
        submissions = 0
        createdDay = StatsDay(envelope.occurredAt)
        lastActiveDay = nil
        setProfile(created.profile)
    }

    /// Applies the event that follows `version`. Nothing but the version changes once deleted.
    mutating func apply(_ event: ClientEvent, envelope: EventEnvelope) {
        defer { version = envelope.streamVersion }
        guard !deleted else { return }
        switch event {
        case .created(let created):
            setProfile(created.profile)
        case .profileChanged(let changed):
            let changes = changed.changes
            if let status = changes.status { self.status = status }
            plan = Self.changing(plan, by: changes.plan)
            accountType = Self.changing(accountType, by: changes.accountType)
            provider = Self.changing(provider, by: changes.provider)
            company = Self.changing(company, by: changes.companyName)
            industry = Self.changing(industry, by: changes.industry)
            switch changes.location {
            case .unchanged: break
            case .set(let location): country = StatsValue.country(fromLocation: location)
            case .cleared: country = nil
            }
        case .deleted, .erased:
            // Counted away once: a client erased after its deletion is a tombstone already
            // (the guard above), so its erasure changes nothing but the version.
            self = StatsClientState(tombstoneOf: id, tenantId: tenantId, version: version)
        case .portalPasswordSet, .documentAttached, .documentReplaced, .documentRemoved:
            // Counted nowhere; applied (the version moves) so the stream is never parked.
            break
        case .careRecordChanged:
            // Goals, medications and appointments are counted nowhere (the statistics count
            // clients); applied (the version moves) so the stream is never parked.
            break
        case .activityRecorded(let activity):
            lastActiveDay = StatsDay(envelope.occurredAt)
            if activity.submission { submissions += 1 }
        }
    }

    /// Adds this client's counters to `delta`, times `sign` (-1 takes them away). A tombstone
    /// counts nowhere.
    func count(into delta: inout StatsDelta, sign: Int64) {
        guard !deleted, let status, let createdDay else { return }
        delta.add(.total, StatsDimension.clients, sign, tenant: tenantId)
        if submissions != 0 { delta.add(.total, StatsDimension.submissions, sign * submissions, tenant: tenantId) }
        delta.add(.status, status.rawValue, sign, tenant: tenantId)
        delta.add(.plan, (plan ?? .free).rawValue, sign, tenant: tenantId)
        delta.add(.accountType, (accountType ?? .individual).rawValue, sign, tenant: tenantId)
        if let provider = StatsValue.counted(provider) { delta.add(.provider, provider, sign, tenant: tenantId) }
        if let country { delta.add(.country, country, sign, tenant: tenantId) }
        if let company = StatsValue.counted(company) { delta.add(.company, company, sign, tenant: tenantId) }
        if let industry = StatsValue.counted(industry) { delta.add(.industry, industry, sign, tenant: tenantId) }
        delta.add(.created, createdDay, sign, tenant: tenantId)
        if let lastActiveDay { delta.add(.active, lastActiveDay, sign, tenant: tenantId) }
    }

    /// The row for `jsonb_to_recordset`.
    var record: Record {
        Record(id: id, tenant_id: tenantId, version: version, deleted: deleted, status: status?.rawValue, plan: plan?.rawValue,
               account_type: accountType?.rawValue, provider: provider, country: country, company: company, industry: industry,
               submissions: submissions, created_day: createdDay?.text, last_active_day: lastActiveDay?.text)
    }

    /// A row as JSON, named as the columns are.
    struct Record: Encodable {
        var id: UUID
        var tenant_id: UUID
        var version: Int64
        var deleted: Bool
        var status: String?
        var plan: String?
        var account_type: String?
        var provider: String?
        var country: String?
        var company: String?
        var industry: String?
        var submissions: Int64
        var created_day: String?
        var last_active_day: String?

        func encode(to encoder: any Encoder) throws {
            // Nulls written out, so every column of the recordset is set.
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id.lowercasedString, forKey: .id)
            try container.encode(tenant_id.lowercasedString, forKey: .tenant_id)
            try container.encode(version, forKey: .version)
            try container.encode(deleted, forKey: .deleted)
            try container.encode(status, forKey: .status)
            try container.encode(plan, forKey: .plan)
            try container.encode(account_type, forKey: .account_type)
            try container.encode(provider, forKey: .provider)
            try container.encode(country, forKey: .country)
            try container.encode(company, forKey: .company)
            try container.encode(industry, forKey: .industry)
            try container.encode(submissions, forKey: .submissions)
            try container.encode(created_day, forKey: .created_day)
            try container.encode(last_active_day, forKey: .last_active_day)
        }

        enum CodingKeys: String, CodingKey {
            case id, tenant_id, version, deleted, status, plan, account_type, provider, country, company, industry, submissions,
                 created_day, last_active_day
        }

        /// Writes this row's fields as `encode(to:)` writes them (the projection's path;
        /// `Encodable` stays as the reference the tests compare with).
        func writeFields(to json: inout RecordsetJSON) {
            json.field("id", id.lowercasedString)
            json.field("tenant_id", tenant_id.lowercasedString)
            json.field("version", version)
            json.field("deleted", deleted)
            json.field("status", status)
            json.field("plan", plan)
            json.field("account_type", account_type)
            json.field("provider", provider)
            json.field("country", country)
            json.field("company", company)
            json.field("industry", industry)
            json.field("submissions", submissions)
            json.field("created_day", created_day)
            json.field("last_active_day", last_active_day)
        }
    }

    init(tombstoneOf id: UUID, tenantId: UUID, version: Int64) {
        self.id = id
        self.tenantId = tenantId
        self.version = version
        deleted = true
        submissions = 0
    }

    private mutating func setProfile(_ profile: ClientProfile) {
        status = profile.status
        plan = profile.plan
        accountType = profile.accountType
        provider = profile.provider
        country = StatsValue.country(fromLocation: profile.location)
        company = profile.companyName
        industry = profile.industry
    }

    private static func changing<Value>(_ current: Value?, by change: FieldChange<Value>) -> Value? {
        switch change {
        case .unchanged: current
        case .set(let value): value
        case .cleared: nil
        }
    }

    private static func decodeEnum<Value: RawRepresentable<String>>(_ row: PostgresRow, _ column: Int, _: Value.Type) throws -> Value? {
        guard let text = try row.decodeIfPresent(column, as: String.self) else { return nil }
        guard let value = Value(rawValue: text) else {
            throw PostgresError(.decoding, "unknown value in the stats read model", context: ["column": String(column)])
        }
        return value
    }

    private static func decodeDay(_ row: PostgresRow, _ column: Int) throws -> StatsDay? {
        guard let text = try row.decodeIfPresent(column, as: String.self) else { return nil }
        guard let day = StatsDay(text: text) else {
            throw PostgresError(.decoding, "unreadable day in the stats read model", context: ["column": String(column)])
        }
        return day
    }
}
