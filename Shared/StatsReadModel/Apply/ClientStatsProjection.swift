import ClientDomain
import EventStore
import Foundation
import Postgres
import Projection

/// Applies client events to the stats tables (or their rebuild shadows): constant work per
/// event, whatever the number of clients.
///
/// A batch is folded in memory: it takes the target's advisory lock, reads the state rows
/// of the streams it touches with one query, applies each event whose version is the next
/// one (`StreamVersionRule`), taking the client's old contribution off the counters and
/// adding its new one, and writes the changed states and the summed counter changes back
/// with one statement per table. All of it runs in the runner's transaction with the
/// offsets, so a batch counts once or not at all; duplicates and early events change
/// nothing. A client deleted leaves every counter; its tombstone keeps the version.
///
/// Events whose tenant is the nil UUID (`StatsSchema.allTenants`, where the sums over all
/// tenants are kept) are refused as invalid.
public struct ClientStatsProjection: ProjectionReadModel {
    public init() {}

    public func apply(_ events: [StoredEvent], to target: ProjectionTarget, on connection: PostgresConnection) throws
        -> ProjectionApplyOutcome {
        var outcome = ProjectionApplyOutcome()
        guard !events.isEmpty else { return outcome }
        let tables = StatsTables.of(target)
        _ = try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [tables.lock])
        let ids = Set(events.map(\.envelope.streamId))
        var states: [UUID: StatsClientState] = [:]
        for row in try connection.query("SELECT \(StatsClientState.selectList) FROM \(tables.clients) WHERE id = ANY($1::uuid[])",
                                        [Self.uuidArray(ids)]) {
            let state = try StatsClientState(row: row)
            states[state.id] = state
        }
        var delta = StatsDelta()
        // Each event takes the client's old contribution off the counters and adds its new one.
        let changed = StreamFold.fold(events, into: &states, outcome: &outcome, apply: { state, event, envelope in
            state.count(into: &delta, sign: -1)
            state.apply(event, envelope: envelope)
            state.count(into: &delta, sign: 1)
        }, create: { event, envelope in
            // The nil tenant is where the sums over every tenant are kept: no client's own.
            guard envelope.tenantId != StatsSchema.allTenants,
                  let state = StatsClientState(creating: event, envelope: envelope) else { return nil }
            state.count(into: &delta, sign: 1)
            return state
        })
        guard !changed.isEmpty else { return outcome }
        try write(changed.compactMap { states[$0]?.record }, delta, to: tables, on: connection)
        return outcome
    }

    /// Writes the changed states and adds the counter changes; counters that reach 0 are removed.
    private func write(_ records: [StatsClientState.Record], _ delta: StatsDelta, to tables: StatsTables,
                       on connection: PostgresConnection) throws {
        let assignments = StatsClientState.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0 != "id" }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        let written = try connection.execute("""
            INSERT INTO \(tables.clients) (\(StatsClientState.columns))
            SELECT \(StatsClientState.columns) FROM jsonb_to_recordset($1::jsonb) AS r(\(StatsClientState.recordsetTypes))
            ON CONFLICT (id) DO UPDATE SET \(assignments)
            WHERE \(tables.clients).version < EXCLUDED.version
            """, [RecordsetJSON.array(records) { json, record in record.writeFields(to: &json) }])
        // Under the advisory lock the states read are the latest committed, so every write
        // moves a version forward; if one did not, the counters would not match the states.
        guard written == records.count else {
            throw PostgresError(.invalidArgument, "stats state rows changed while a batch was applied",
                                context: ["expected": String(records.count), "written": String(written)])
        }
        let counters = delta.counterRecords
        if !counters.isEmpty {
            let json = RecordsetJSON.array(counters) { json, counter in counter.writeFields(to: &json) }
            try connection.execute("""
                INSERT INTO \(tables.counts) (tenant_id, dimension, value, count)
                SELECT tenant_id, dimension, value, delta
                FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id uuid, dimension text, value text, delta bigint)
                ON CONFLICT (tenant_id, dimension, value) DO UPDATE SET count = \(tables.counts).count + EXCLUDED.count
                """, [json])
            try Self.removeEmpty(connection.query("""
                DELETE FROM \(tables.counts) c
                USING jsonb_to_recordset($1::jsonb) AS r(tenant_id uuid, dimension text, value text, delta bigint)
                WHERE c.count <= 0 AND c.tenant_id = r.tenant_id AND c.dimension = r.dimension AND c.value = r.value
                RETURNING c.count
                """, [json]), table: tables.counts)
        }
        let days = delta.dayRecords
        if !days.isEmpty {
            let json = RecordsetJSON.array(days) { json, day in day.writeFields(to: &json) }
            try connection.execute("""
                INSERT INTO \(tables.days) (tenant_id, kind, day, count)
                SELECT tenant_id, kind, day, delta
                FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id uuid, kind text, day date, delta bigint)
                ON CONFLICT (tenant_id, kind, day) DO UPDATE SET count = \(tables.days).count + EXCLUDED.count
                """, [json])
            try Self.removeEmpty(connection.query("""
                DELETE FROM \(tables.days) d
                USING jsonb_to_recordset($1::jsonb) AS r(tenant_id uuid, kind text, day date, delta bigint)
                WHERE d.count <= 0 AND d.tenant_id = r.tenant_id AND d.kind = r.kind AND d.day = r.day
                RETURNING d.count
                """, [json]), table: tables.days)
        }
    }

    /// Checks the counters a batch removed: 0 is a value nobody holds any more; below 0 means
    /// a client was taken off a counter it was never added to, and the batch must not commit.
    private static func removeEmpty(_ removed: PostgresRows, table: String) throws {
        for row in removed where try row.decode(0, as: Int64.self) < 0 {
            throw PostgresError(.invalidArgument, "a stats counter went below zero", context: ["table": table])
        }
    }

    public func prepareShadow(on connection: PostgresConnection) throws {
        try connection.executeScript(StatsTables.baseNames.map { base in
            "DROP TABLE IF EXISTS \(base)_rebuild; CREATE TABLE \(base)_rebuild (LIKE \(base) INCLUDING ALL);"
        }.joined(separator: "\n"))
    }

    public func promoteShadow(on connection: PostgresConnection) throws {
        try connection.executeScript(StatsTables.baseNames.map { base in
            """
            DROP TABLE IF EXISTS \(base)_replaced;
            ALTER TABLE \(base) RENAME TO \(base)_replaced;
            ALTER TABLE \(base)_rebuild RENAME TO \(base);
            DROP TABLE \(base)_replaced;
            """
        }.joined(separator: "\n"))
    }

    /// A PostgreSQL array literal of UUIDs, sent as one text parameter.
    static func uuidArray(_ ids: some Collection<UUID>) -> String {
        "{" + ids.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
    }
}
