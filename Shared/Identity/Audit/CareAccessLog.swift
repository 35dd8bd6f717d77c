import Coordination
import Errors
import Foundation
import JSON
import Postgres

/// The care access audit in the gateway's database (`care_access_log`): appended in groups,
/// read by cursor, never changed (the table's triggers refuse UPDATE, DELETE and TRUNCATE).
///
/// `append` returns once its record is committed, so a read's record is durable before the
/// read is answered; concurrent appends share one statement and one commit (`GroupCommit`, as
/// the event store's appends: a caller finding no write under way writes at once; callers
/// arriving meanwhile queue, and the first of them writes the next group with them). A lone
/// caller waits for nobody.
public final class CareAccessLog: Sendable {
    /// The audit's table.
    public static let table = "care_access_log"
    public let pool: PostgresPool
    /// The most records one statement writes.
    public let maxGroup: Int
    /// The leader/follower queue.
    private let group: GroupCommit<CareAccessRecord, Void>
    /// Told how many records each committed statement wrote (the gateway's GIN pending-list
    /// cleaner of this table counts them).
    private let appended: @Sendable (Int) -> Void
    /// Where a group's writer running on an HTTP event loop waits for PostgreSQL (see `init`).
    private let readiness: (any PostgresReadiness)?

    /// - Parameter readiness: lets a group's writer whose task runs on an HTTP event loop (a
    ///   details read's) write its group without leaving the loop (`PostgresPool.query(_:_:waitingOn:)`,
    ///   as the event store's appends), sparing each group a hand-off to a pool thread and back
    ///   while the readers queued behind it wait. Writers elsewhere, or all with nil, write on a
    ///   pool thread.
    public init(pool: PostgresPool, maxGroup: Int = 256, readiness: (any PostgresReadiness)? = nil,
                appended: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.pool = pool
        self.maxGroup = max(1, maxGroup)
        self.group = GroupCommit(maxGroup: max(1, maxGroup))
        self.readiness = readiness
        self.appended = appended
    }

    /// Records waiting for the next group (for tests).
    public var queued: Int { group.queued }

    /// Appends `record` with those of concurrent callers; returns once it is committed.
    public func append(_ record: CareAccessRecord) async throws {
        try await group.commit(record) { records in
            let result: Result<Void, any Error>
            do {
                try await self.write(records)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            return records.map { _ in result }
        }.get()
    }

    /// Writes `records` in one statement: their rows as JSON, written straight (`JSONWriter`;
    /// a carer's client list names a thousand clients, a `JSONValue` each was a share of the
    /// gateway's time per list: docs/performance.md, design measurements).
    private func write(_ records: [CareAccessRecord]) async throws {
        var rows = JSONWriter(capacity: records.reduce(64) { $0 + 320 + 40 * $1.clientIds.count + 12 * $1.clientNumbers.count })
        rows.array { array in
            for record in records {
                array.object { row in
                    row.member("at", CareAccessRecord.format(record.at))
                    row.member("user_id", record.userId.lowercasedString)
                    row.key("roles")
                    row.array { roles in for role in record.roles { roles.value(role) } }
                    row.member("company_id", record.companyId?.lowercasedString)
                    row.key("client_ids")
                    row.array { ids in for id in record.clientIds { ids.value(id.lowercasedString) } }
                    row.key("client_numbers")
                    row.array { numbers in for number in record.clientNumbers { numbers.value(number) } }
                    row.member("client_number_ranges", CareAccessRecord.numberRanges(record.clientNumbers))
                    row.key("sections")
                    row.array { sections in for section in record.sections { sections.value(section) } }
                    row.member("route", record.route)
                    row.member("request_id", record.requestId)
                    row.member("correlation_id", record.correlationId)
                    row.member("outcome", record.outcome.rawValue)
                }
            }
        }
        _ = try await pool.query("""
            INSERT INTO care_access_log (at, user_id, roles, company_id, client_ids, client_numbers, client_number_ranges,
                                         sections, route, request_id, correlation_id, outcome)
            SELECT at, user_id, roles, company_id, client_ids, client_numbers, client_number_ranges, sections, route, request_id,
                   correlation_id, outcome
            FROM jsonb_to_recordset($1::jsonb) AS r(at timestamptz, user_id uuid, roles text[], company_id uuid,
                 client_ids uuid[], client_numbers bigint[], client_number_ranges int8multirange, sections text[], route text,
                 request_id text, correlation_id text, outcome text)
            """, [String(decoding: rows.bytes, as: UTF8.self)], waitingOn: readiness)
        appended(records.count)
    }

    /// What a read of the audit selects; nil fields do not filter.
    public struct Query: Sendable, Equatable {
        /// The companies whose records may be read; nil: every company.
        public var companyIds: [UUID]?
        public var clientNumber: Int64?
        public var userId: UUID?
        public var from: Date?
        public var to: Date?
        /// Records after this id (the previous page's cursor).
        public var after: Int64?
        public var limit: Int

        public init(companyIds: [UUID]? = nil, clientNumber: Int64? = nil, userId: UUID? = nil, from: Date? = nil, to: Date? = nil,
                    after: Int64? = nil, limit: Int = 100) {
            self.companyIds = companyIds
            self.clientNumber = clientNumber
            self.userId = userId
            self.from = from
            self.to = to
            self.after = after
            self.limit = limit
        }
    }

    /// The records `query` selects, oldest first (by id).
    public func records(_ query: Query) async throws -> [CareAccessRecord] {
        var conditions: [String] = []
        var parameters: [any PostgresEncodable] = []
        func add(_ value: any PostgresEncodable, _ condition: (String) -> String) {
            parameters.append(value)
            conditions.append(condition("$\(parameters.count)"))
        }
        if let companyIds = query.companyIds {
            add("{" + companyIds.map(\.lowercasedString).joined(separator: ",") + "}") { "company_id = ANY(\($0)::uuid[])" }
        }
        if let number = query.clientNumber {
            // Each arm is one index's (their predicates), so the two scans are OR-ed bitmaps.
            add(number) { "((client_number_ranges IS NULL AND client_numbers @> ARRAY[\($0)::bigint]) OR client_number_ranges @> \($0)::bigint)" }
        }
        if let userId = query.userId { add(userId) { "user_id = \($0)" } }
        if let from = query.from { add(from) { "at >= \($0)" } }
        if let to = query.to { add(to) { "at < \($0)" } }
        if let after = query.after { add(after) { "id > \($0)" } }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        parameters.append(query.limit)
        let rows = try await pool.query("""
            SELECT id, at, user_id, roles, company_id, client_ids, client_numbers, sections, route, request_id,
                   correlation_id, outcome
            FROM care_access_log \(filter) ORDER BY id LIMIT $\(parameters.count)
            """, parameters)
        return try rows.map { row in
            CareAccessRecord(id: try row.decode(0), at: try row.decode(1), userId: try row.decode(2),
                             roles: try Self.array(row, 3), companyId: try row.decodeIfPresent(4),
                             clientIds: try Self.array(row, 5).compactMap(UUID.init(uuidString:)),
                             clientNumbers: try Self.array(row, 6).compactMap { Int64($0) }, sections: try Self.array(row, 7),
                             route: try row.decode(8), requestId: try row.decodeIfPresent(9),
                             correlationId: try row.decodeIfPresent(10),
                             outcome: CareAccessRecord.Outcome(rawValue: try row.decode(11)) ?? .denied)
        }
    }

    /// A one-dimensional array column of plain values (ids, numbers, names without commas,
    /// quotes or braces), read from its text form `{a,b}`.
    static func array(_ row: PostgresRow, _ index: Int) throws -> [String] {
        let text: String = try row.decode(index)
        let inner = text.dropFirst().dropLast()
        return inner.isEmpty ? [] : inner.split(separator: ",").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
    }
}
