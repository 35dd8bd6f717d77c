import Foundation
import Projection

/// The counter changes one batch makes, summed per counter before they are written, each
/// also added to the all-tenants sum (`StatsSchema.allTenants`).
///
/// Values are told apart byte by byte, as the `COLLATE "C"` columns do: Swift's `String`
/// equality would merge canonically equivalent spellings ("é" precomposed or not) that
/// PostgreSQL keeps apart, and a decrement would then land on the wrong row.
struct StatsDelta: Sendable {
    struct CounterKey: Hashable, Sendable {
        var tenantId: UUID
        var dimension: StatsDimension
        var value: String

        static func == (lhs: CounterKey, rhs: CounterKey) -> Bool {
            lhs.tenantId == rhs.tenantId && lhs.dimension == rhs.dimension && lhs.value.utf8.elementsEqual(rhs.value.utf8)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(tenantId)
            hasher.combine(dimension)
            for byte in value.utf8 { hasher.combine(byte) }
            hasher.combine(value.utf8.count)
        }
    }

    struct DayKey: Hashable, Sendable {
        var tenantId: UUID
        var kind: StatsDayKind
        var day: StatsDay
    }

    private(set) var counters: [CounterKey: Int64] = [:]
    private(set) var days: [DayKey: Int64] = [:]

    /// Adds `amount` to the tenant's counter and to the all-tenants one.
    mutating func add(_ dimension: StatsDimension, _ value: String, _ amount: Int64, tenant: UUID) {
        counters[CounterKey(tenantId: tenant, dimension: dimension, value: value), default: 0] += amount
        counters[CounterKey(tenantId: StatsSchema.allTenants, dimension: dimension, value: value), default: 0] += amount
    }

    /// Adds `amount` to the tenant's count of `kind` on `day` and to the all-tenants one.
    mutating func add(_ kind: StatsDayKind, _ day: StatsDay, _ amount: Int64, tenant: UUID) {
        days[DayKey(tenantId: tenant, kind: kind, day: day), default: 0] += amount
        days[DayKey(tenantId: StatsSchema.allTenants, kind: kind, day: day), default: 0] += amount
    }

    /// The counters that change (a client moving away and back within a batch nets to 0).
    var counterRecords: [CounterRecord] {
        counters.compactMap { key, amount in amount == 0 ? nil : CounterRecord(key, amount) }
    }

    /// The counters that change, split by the table that keeps them: the fixed dimensions'
    /// (`stats_counts`) and the listed ones' (`stats_top_counts`).
    var counterRecordsByTable: (fixed: [CounterRecord], listed: [CounterRecord]) {
        var fixed: [CounterRecord] = [], listed: [CounterRecord] = []
        for (key, amount) in counters where amount != 0 {
            if key.dimension.isListed {
                listed.append(CounterRecord(key, amount))
            } else {
                fixed.append(CounterRecord(key, amount))
            }
        }
        return (fixed, listed)
    }

    /// The per-day counts that change.
    var dayRecords: [DayRecord] {
        days.compactMap { key, amount in
            amount == 0 ? nil : DayRecord(tenant_id: key.tenantId.lowercasedString, kind: key.kind.rawValue, day: key.day.text,
                                          delta: amount)
        }
    }

    /// One counter change as JSON for `jsonb_to_recordset`.
    struct CounterRecord: Encodable, Equatable {
        var tenant_id: String
        var dimension: String
        var value: String
        var delta: Int64

        init(tenant_id: String, dimension: String, value: String, delta: Int64) {
            self.tenant_id = tenant_id
            self.dimension = dimension
            self.value = value
            self.delta = delta
        }

        init(_ key: CounterKey, _ amount: Int64) {
            self.init(tenant_id: key.tenantId.lowercasedString, dimension: key.dimension.rawValue, value: key.value,
                      delta: amount)
        }

        /// Writes this change's fields as its `Encodable` conformance writes them.
        func writeFields(to json: inout RecordsetJSON) {
            json.field("tenant_id", tenant_id)
            json.field("dimension", dimension)
            json.field("value", value)
            json.field("delta", delta)
        }
    }

    /// One per-day change as JSON for `jsonb_to_recordset`.
    struct DayRecord: Encodable, Equatable {
        var tenant_id: String
        var kind: String
        var day: String
        var delta: Int64

        /// Writes this change's fields as its `Encodable` conformance writes them.
        func writeFields(to json: inout RecordsetJSON) {
            json.field("tenant_id", tenant_id)
            json.field("kind", kind)
            json.field("day", day)
            json.field("delta", delta)
        }
    }
}
