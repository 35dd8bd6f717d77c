import ClientDomain
import Foundation
import JSON
import InternalAPI
import Postgres

extension ClientSearch {
    /// Adds the SQL conditions and parameters of the care API's filters (not `keyset`/`after`'s
    /// order, which `keysetPage` adds).
    static func filter(_ care: CareFilters, conditions: inout [String], parameters: inout [any PostgresEncodable]) {
        func add(_ value: any PostgresEncodable, _ condition: (String) -> String) {
            parameters.append(value)
            conditions.append(condition("$\(parameters.count)"))
        }
        if let ndisNumber = care.ndisNumber { add(ndisNumber) { "ndis_number = \($0)" } }
        if let text = care.text {
            add("%" + escapeLike(text.lowercased()) + "%") {
                "(lower(name) LIKE \($0) OR lower(email) LIKE \($0) OR ndis_number LIKE \($0))"
            }
        }
        var related: [String] = []
        for (column, user) in [("support_coordinator", care.coordinatedBy), ("plan_manager", care.planManagedBy)] {
            guard let user else { continue }
            parameters.append(user.lowercasedString)
            related.append("\(column) = $\(parameters.count)")
        }
        if let carer = care.attendedBy {
            parameters.append(carer)
            related.append("EXISTS (SELECT 1 FROM care_appointments a WHERE a.carer_id = $\(parameters.count) "
                           + "AND a.client_id = clients.id AND " + attendanceCondition + ")")
        }
        if !related.isEmpty { conditions.append("(" + related.joined(separator: " OR ") + ")") }
        if let record = care.recordId {
            // Containment, so the GIN index of `care_records` finds the one row.
            let id = JSONValue.object(["id": .string(record.lowercasedString)])
            parameters.append(String(decoding: JSONValue.object(["goals": .array([id])]).serialized(), as: UTF8.self))
            parameters.append(String(decoding: JSONValue.object(["medications": .array([id])]).serialized(), as: UTF8.self))
            conditions.append("(care_records @> $\(parameters.count - 1)::jsonb OR care_records @> $\(parameters.count)::jsonb)")
        }
        if let appointment = care.appointmentId {
            add(appointment) { "id = (SELECT client_id FROM care_appointments WHERE id = \($0))" }
        }
        if care.keyset, let after = care.after { add(after) { "id > \($0)" } }
    }

    /// An appointment (`a`) that reaches its client for its carer: scheduled, or completed and
    /// ended within `CareFilters.attendanceWindowDays`.
    static let attendanceCondition = "(a.status = 'scheduled' OR (a.status = 'completed' AND a.ends_at >= now() - interval '"
        + String(CareFilters.attendanceWindowDays) + " days'))"

    /// A client's appointments (`CareAppointmentsQuery`), in start order.
    public func appointments(_ query: CareAppointmentsQuery) async throws -> [CareAppointment] {
        var conditions = ["client_id = $1", "tenant_id = $2"]
        var parameters: [any PostgresEncodable] = [query.clientId, query.tenantId]
        if let from = query.from {
            parameters.append(from)
            conditions.append("starts_at >= $\(parameters.count)")
        }
        if let to = query.to {
            parameters.append(to)
            conditions.append("starts_at < $\(parameters.count)")
        }
        if let status = query.status {
            parameters.append(status)
            conditions.append("status = $\(parameters.count)")
        }
        if let id = query.id {
            parameters.append(id)
            conditions.append("id = $\(parameters.count)")
        }
        let sql = "SELECT id, client_id, carer_id, starts_at, ends_at, service_type, status FROM care_appointments WHERE "
            + conditions.joined(separator: " AND ") + " ORDER BY starts_at, id LIMIT \(CareAppointmentsQuery.maxCount)"
        return try await pool.query(sql, parameters).map { row in
            CareAppointment(id: try row.decode(0), clientId: try row.decode(1), carerId: try row.decode(2), startsAt: try row.decode(3),
                            endsAt: try row.decode(4), serviceType: try row.decode(5), status: try row.decode(6))
        }
    }

    /// The live clients of `tenantIds` that `carerId` has appointments with, by number: the
    /// carer's rows of `care_carer_clients`, which the projection keeps with the appointments
    /// and the clients' names (grouping the appointments and joining the clients here took
    /// three and a half times as long for a thousand clients: docs/performance.md, design
    /// measurements).
    public func carerClients(carerId: UUID, tenantIds: [UUID]) async throws -> [CarerClient] {
        try await pool.query("""
            SELECT client_id, number, name, first_name, last_name, appointment_count FROM \(SearchSchema.carerClientsTable)
            WHERE carer_id = $1 AND tenant_id = ANY($2::uuid[])
            ORDER BY number, client_id
            """, [carerId, PostgresArray(tenantIds)]).map { row in
            CarerClient(id: try row.decode(0), number: try row.decodeIfPresent(1), name: try row.decodeIfPresent(2),
                        firstName: try row.decodeIfPresent(3), lastName: try row.decodeIfPresent(4), appointmentCount: try row.decode(5))
        }
    }

    /// The next `limit` matching clients by id (the conditions hold `after`'s bound), without
    /// a count (`total` is -1): an export's page, an index range scan however deep it is.
    func keysetPage(_ conditions: [String], _ parameters: [any PostgresEncodable], limit: Int) async throws -> ClientListPage {
        let sql = "SELECT \(Self.recordColumns) FROM clients WHERE \(conditions.joined(separator: " AND ")) "
            + "ORDER BY id LIMIT $\(parameters.count + 1)"
        let records = try await pool.query(sql, parameters + [limit]).map(Self.record(from:))
        return ClientListPage(data: records, total: -1)
    }

    /// The columns of an export row, in `CareExportPage.Row`'s order (the care names read
    /// with `#>>`: `CareSchema` holds them as strings, as the generated NDIS columns rely on).
    static let exportColumns = "id, tenant_id, number, name, display_name, care #>> '{personalInfo,firstName}', "
        + "care #>> '{personalInfo,lastName}', email, ndis_number, status, plan_manager, support_coordinator"

    /// Every client of `query` (its filters; not its `limit`, `offset` or `after`) by number
    /// (the care API's id: the order they were created in; any without a number last, by id),
    /// with only what the care export writes, handed to `deliver` as frames of the export's
    /// stream of `rowsPerPage` clients each (the last one shorter, possibly empty) as they are
    /// read. Each frame is written from the rows' cells as libpq holds them
    /// (`PostgresConnection.forEachRow`, `CareExportPage.FrameWriter`). In number order, a
    /// page's numbers are mostly runs, which its access record keeps as ranges
    /// (`CareAccessRecord.numberRanges`).
    ///
    /// One statement, read through a cursor (one snapshot, the cursor's): PostgreSQL scans the
    /// matches and sorts them once, as `COPY (SELECT …)` would, where pages read by id walked
    /// the id index with a heap fetch per row (measured: docs/performance.md, design
    /// measurements). `cursor_tuple_fraction = 1` plans for reading every row, and
    /// `enable_indexscan = off` keeps the planner from walking the order's index anyway: for a
    /// cursor in id order it did, with a heap fetch per row (4.8 µs of PostgreSQL's time per
    /// exported row over a million clients, against 1.5 µs for a scan and one sort; bitmap
    /// scans stay allowed, so a selective filter still reads through its index:
    /// docs/performance.md, design measurements). `deliver` runs on the connection's thread
    /// and may block there (backpressure); when it throws, the transaction is rolled back,
    /// which ends the query.
    public func exportPages(_ query: ClientListQuery, rowsPerPage: Int,
                            deliver: @escaping @Sendable (_ frame: [UInt8]) throws -> Void) async throws {
        precondition(rowsPerPage > 0 && rowsPerPage <= CareExportPage.maxRows, "an export page holds 1...maxRows rows")
        var query = query
        query.care.keyset = false
        query.care.after = nil
        let (conditions, parameters) = Self.conditions(query)
        let select = "SELECT \(Self.exportColumns) FROM clients WHERE \(conditions.joined(separator: " AND ")) ORDER BY number, id"
        try await pool.withTransaction { connection in
            try connection.executeScript("SET LOCAL cursor_tuple_fraction = 1; SET LOCAL enable_indexscan = off")
            _ = try connection.execute("DECLARE care_export NO SCROLL CURSOR FOR " + select, parameters, prepared: false)
            while true {
                var page = CareExportPage.FrameWriter(capacity: 12 + rowsPerPage * 180)
                let count = try connection.forEachRow("FETCH FORWARD \(rowsPerPage) FROM care_export", prepared: false) { row in
                    try Self.appendExportRow(row, to: &page)
                }
                try deliver(page.frame())
                if count < rowsPerPage { break }
            }
        }
    }

    /// Writes an export row (`exportColumns`) into `page` from its cells as they are.
    static func appendExportRow(_ row: PostgresRawRow, to page: inout CareExportPage.FrameWriter) throws {
        guard let id = row.bytes(0).flatMap(UUID.init(canonical:)), let tenantId = row.bytes(1).flatMap(UUID.init(canonical:)),
              row.bytes(9) != nil else {
            throw PostgresError(.decoding, "an export row without its ids or status", context: ["column": "id"])
        }
        var number: Int64?
        if let digits = row.bytes(2) {
            guard let parsed = Int64(String(decoding: digits, as: UTF8.self)) else {
                throw PostgresError(.decoding, "an export row's number is not an integer", context: ["column": "number"])
            }
            number = parsed
        }
        page.appendRow(id: id, tenantId: tenantId, number: number) { row.bytes(3 + $0) }
    }
}
