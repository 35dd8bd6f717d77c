import ClientDomain
import EventStore
import Foundation
import Postgres
import Projection

/// Applies client events to the `clients` table (or its rebuild shadow).
///
/// A batch is folded in memory: the rows of the streams it touches are read with one query,
/// each event is applied if its version is the next one (`StreamVersionRule`), and the
/// changed rows are written back with one upsert. A row never moves to a lower version (the
/// upsert keeps the higher one), so even a stale writer cannot undo progress.
public struct ClientSearchProjection: ProjectionReadModel {
    public init() {}

    static func table(_ target: ProjectionTarget) -> String {
        target == .live ? SearchSchema.table : SearchSchema.shadowTable
    }

    public func apply(_ events: [StoredEvent], to target: ProjectionTarget, on connection: PostgresConnection) throws
        -> ProjectionApplyOutcome {
        var outcome = ProjectionApplyOutcome()
        guard !events.isEmpty else { return outcome }
        let table = Self.table(target)
        let ids = Set(events.map(\.envelope.streamId))
        var rows: [UUID: SearchRow] = [:]
        for row in try connection.query("SELECT \(SearchRow.columns) FROM \(table) WHERE id = ANY($1::uuid[])",
                                        [Self.uuidArray(ids)]) {
            let decoded = try SearchRow(row: row)
            rows[decoded.id] = decoded
        }
        let changed = StreamFold.fold(events, into: &rows, outcome: &outcome,
                                      apply: { row, event, envelope in row.apply(event, envelope: envelope) },
                                      create: { event, envelope in SearchRow(creating: event, envelope: envelope) })
        guard !changed.isEmpty else { return outcome }
        var json = RecordsetJSON(capacity: changed.count * 700)
        for id in changed { rows[id]?.write(into: &json) }
        try connection.execute("""
            INSERT INTO \(table) (\(SearchRow.columns), agent_ids)
            SELECT \(SearchRow.columns),
                   CASE WHEN agents IS NULL THEN NULL
                        ELSE ARRAY(SELECT (e ->> 'agentId')::bigint FROM jsonb_array_elements(agents) AS e) END
            FROM jsonb_to_recordset($1::jsonb) AS r(\(ClientColumns.recordsetTypes))
            ON CONFLICT (id) DO UPDATE SET \(ClientColumns.updateAssignments)
            WHERE \(table).version < EXCLUDED.version
            """, [json.finish()])
        return outcome
    }

    public func prepareShadow(on connection: PostgresConnection) throws {
        try connection.executeScript("""
            DROP TABLE IF EXISTS \(SearchSchema.shadowTable);
            CREATE TABLE \(SearchSchema.shadowTable) (LIKE \(SearchSchema.table) INCLUDING ALL);
            """)
    }

    public func promoteShadow(on connection: PostgresConnection) throws {
        try connection.executeScript("""
            DROP TABLE IF EXISTS clients_replaced;
            ALTER TABLE \(SearchSchema.table) RENAME TO clients_replaced;
            ALTER TABLE \(SearchSchema.shadowTable) RENAME TO \(SearchSchema.table);
            DROP TABLE clients_replaced;
            """)
    }

    /// A PostgreSQL array literal of UUIDs, sent as one text parameter.
    static func uuidArray(_ ids: some Collection<UUID>) -> String {
        "{" + ids.map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"
    }
}
