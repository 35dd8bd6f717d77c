import ClientDomain
import EventLog
import Foundation
import Postgres
import Projection

/// Applies client events to the `clients` table (or its rebuild shadow).
///
/// A batch is folded in memory: the rows of the streams it touches are read with one query
/// (none when the batch only creates streams: `StreamFold.creationsOnly`; a stream
/// that has a row then is left alone by the upsert's version guard, and counted a duplicate), each event is applied if its
/// version is the next one (`StreamVersionRule`), and the changed rows are written back with
/// one upsert that also stores the runner's offsets. A row never moves to a lower version (the
/// upsert keeps the higher one), so even a stale writer cannot undo progress.
public struct ClientSearchProjection: ProjectionReadModel {
    /// Whether a replayed log's creations are coming (see `ReplayedCreations`).
    private let replayed = ReplayedCreations()

    public init() {}

    static func table(_ target: ProjectionTarget) -> String {
        target == .live ? SearchSchema.table : SearchSchema.shadowTable
    }

    /// Applies `events` and stores `offsets` in the upsert's statement (when the batch changed
    /// nothing, the runner stores them).
    public func apply(_ events: [StoredEvent], to target: ProjectionTarget, storing offsets: ProjectionOffsets.Pending?,
                      on connection: PostgresConnection) throws -> (ProjectionApplyOutcome, storedOffsets: Bool) {
        var outcome = ProjectionApplyOutcome()
        guard !events.isEmpty else { return (outcome, false) }
        let table = Self.table(target)
        var rows: [UUID: SearchRow] = [:]
        var changed: [UUID] = []
        var creationsOnly = StreamFold.creationsOnly(events)
        var events = events
        var replayedDuplicates = 0
        if creationsOnly {
            (events, replayedDuplicates) = try replayed.withoutApplied(events, in: table, target: target, on: connection)
            outcome.duplicates = replayedDuplicates
            guard !events.isEmpty else { return (outcome, false) }
            changed = StreamFold.fold(events, into: &rows, outcome: &outcome, apply: { _, _, _ in },
                                      create: { event, envelope in SearchRow(creating: event, envelope: envelope) })
            // An event that is not a valid creation counts as a duplicate if its stream has a
            // row: only the read below tells, so such a batch takes the usual way.
            if !outcome.rejected.isEmpty {
                creationsOnly = false
                rows = [:]
                outcome = ProjectionApplyOutcome()
                outcome.duplicates = replayedDuplicates
            }
        }
        var listedBefore: [UUID: CarerClientFields] = [:]
        if !creationsOnly {
            let ids = Set(events.map(\.envelope.streamId))
            for row in try connection.query(StreamFold.rowsQuery(columns: SearchRow.columns, from: table),
                                            [PostgresArray(Array(ids))]) {
                let decoded = try SearchRow(row: row)
                rows[decoded.id] = decoded
                listedBefore[decoded.id] = decoded.carerClientFields
            }
            changed = StreamFold.fold(events, into: &rows, outcome: &outcome,
                                      apply: { row, event, envelope in row.apply(event, envelope: envelope) },
                                      create: { event, envelope in SearchRow(creating: event, envelope: envelope) })
        }
        guard !changed.isEmpty else { return (outcome, false) }
        var json = RecordsetJSON(capacity: changed.count * 700)
        for id in changed { rows[id]?.write(into: &json) }
        let written = try connection.query(Self.upsert(table, storingOffsets: offsets != nil, creationsOnly: creationsOnly),
                                           [json.finish()] + (offsets?.parameters ?? []))
        let changedRows = changed.compactMap { rows[$0] }
        let touched = try Self.writeAppointments(changedRows, target: target, on: connection)
        // Rows that were read (not new in this batch) whose listed fields changed: their
        // carers' lists show the new names (a new client has no list rows but those
        // `touched` writes, which read its names from the row just written).
        let renamed = changedRows.filter { row in
            !row.deleted && listedBefore[row.id].map { $0 != row.carerClientFields } == true
        }.map(\.id)
        try Self.writeCarerClients(touched: touched, deleted: changedRows.filter(\.deleted).map(\.id), renamed: renamed,
                                   target: target, on: connection)
        if creationsOnly {
            // A stream that already has a row (at version 1 or later) was not written: its
            // creation was applied before, as reading the row first would have found.
            let writtenIds = Set(try written.map { try $0.decode(0, as: UUID.self) })
            let skipped = changed.filter { !writtenIds.contains($0) }
            if !skipped.isEmpty { replayed.note(target, foundApplied: true) }
            outcome.appliedCount -= skipped.count
            outcome.duplicates += skipped.count
            outcome.applied.removeAll { !writtenIds.contains($0.streamId) }
        }
        return (outcome, offsets != nil)
    }

    /// The upsert of the changed rows ($1, a JSON array of `SearchRow`s) that returns the ids
    /// written, with `storingOffsets` also storing the runner's offsets ($2 to $4). Its text
    /// depends only on its arguments, so it stays prepared.
    ///
    /// For a batch of `creationsOnly` (folded without reading), a row that exists has applied
    /// its creation already (version 1 or later), so the version guard would never update it:
    /// `DO NOTHING` says the same without locking each such row, as `DO UPDATE … WHERE` does
    /// even when its condition is false. A replayed log (a republish after the broker lost
    /// it) starts with such batches of creations the read model holds already.
    static func upsert(_ table: String, storingOffsets: Bool, creationsOnly: Bool) -> String {
        """
        \(storingOffsets ? "WITH " + ProjectionOffsets.Pending.cte(firstParameter: 2) : "")
        INSERT INTO \(table) (\(SearchRow.columns), agent_ids, \(ClientColumns.derivedWorkspaceColumns.joined(separator: ", ")))
        SELECT \(SearchRow.columns),
               CASE WHEN agents IS NULL THEN NULL
                    ELSE ARRAY(SELECT (e ->> 'agentId')::bigint FROM jsonb_array_elements(agents) AS e) END,
               \(ClientColumns.derivedWorkspaceColumns.joined(separator: ", "))
        FROM jsonb_to_recordset($1::jsonb) AS r(\(ClientColumns.recordsetTypes))
        ON CONFLICT (id) \(creationsOnly ? "DO NOTHING" : """
            DO UPDATE SET \(ClientColumns.updateAssignments)
            WHERE \(table).version < EXCLUDED.version
            """)
        RETURNING id
        """
    }

    /// Creates the shadow with the live table's columns, constraints, primary key and unique
    /// indexes; its other indexes come from `shadowCompletion` once it is filled.
    ///
    /// Kept up row by row, the live table's twenty secondary indexes (eight of them GIN) make a
    /// plain upsert of a million rows cost far more than building them once over the filled
    /// table, two at a time (measured with `Tests/Benchmarks/rebuild-vs-copy.sh`:
    /// docs/performance.md, design measurements). The unique ones stay, so a row that breaks
    /// one fails the batch it comes in, as it does live.
    public func prepareShadow(on connection: PostgresConnection) throws {
        let shadow = SearchSchema.shadowTable
        try connection.executeScript("""
            DROP TABLE IF EXISTS \(shadow);
            CREATE TABLE \(shadow) (LIKE \(SearchSchema.table) INCLUDING ALL EXCLUDING INDEXES);
            ALTER TABLE \(shadow) ADD PRIMARY KEY (id);
            DROP TABLE IF EXISTS \(SearchSchema.appointmentsShadowTable);
            CREATE TABLE \(SearchSchema.appointmentsShadowTable) (LIKE \(SearchSchema.appointmentsTable) INCLUDING ALL);
            DROP TABLE IF EXISTS \(SearchSchema.carerClientsShadowTable);
            CREATE TABLE \(SearchSchema.carerClientsShadowTable) (LIKE \(SearchSchema.carerClientsTable) INCLUDING ALL);
            """)
        for statement in try Self.indexStatements(of: SearchSchema.table, unique: true, on: connection) {
            try connection.executeScript(statement)
        }
    }

    /// The live table's secondary indexes the shadow does not have yet, one script each, the
    /// trigram (GIN) ones first (the longest builds, started first when several run at once).
    ///
    /// Each script lifts `statement_timeout` for its build (to an hour; a million rows take
    /// seconds) and gives it more `maintenance_work_mem` (GIN builds sort in it).
    public func shadowCompletion(on connection: PostgresConnection) throws -> [String] {
        let present = Set(try Self.indexStatements(of: SearchSchema.shadowTable, unique: false, on: connection))
        let missing = try Self.indexStatements(of: SearchSchema.table, unique: false, on: connection)
            .filter { !present.contains($0) }
        let gin = missing.filter { $0.contains(" USING gin ") }
        return (gin + missing.filter { !$0.contains(" USING gin ") }).map {
            "SET LOCAL statement_timeout = '1h'; SET LOCAL maintenance_work_mem = '256MB'; " + $0
        }
    }

    /// `table`'s indexes other than the primary key (`unique`: the unique ones, else the
    /// others), as `CREATE INDEX` statements on the shadow table without index names (so the
    /// shadow's and the live table's compare equal, and PostgreSQL names each one).
    static func indexStatements(of table: String, unique: Bool, on connection: PostgresConnection) throws -> [String] {
        try connection.query("""
            SELECT regexp_replace(pg_get_indexdef(indexrelid), '^CREATE (UNIQUE )?INDEX \\S+ ON (\\S+\\.)?\\S+ ',
                                  'CREATE \\1INDEX ON ' || $2 || ' ')
            FROM pg_index WHERE indrelid = $1::regclass AND NOT indisprimary AND indisunique = $3
            ORDER BY indexrelid
            """, [table, SearchSchema.shadowTable, unique]).map { try $0.decode(0, as: String.self) }
    }

    /// Moves the client's row to `version`; its columns stay as they were.
    public func passOver(streamId: UUID, version: Int64, in target: ProjectionTarget, on connection: PostgresConnection) throws {
        try connection.execute("UPDATE \(Self.table(target)) SET version = $2 WHERE id = $1 AND version = $2 - 1", [streamId, version])
    }

    public func promoteShadow(on connection: PostgresConnection) throws {
        try connection.executeScript("""
            DROP TABLE IF EXISTS clients_replaced;
            ALTER TABLE \(SearchSchema.table) RENAME TO clients_replaced;
            ALTER TABLE \(SearchSchema.shadowTable) RENAME TO \(SearchSchema.table);
            DROP TABLE clients_replaced;
            DROP TABLE IF EXISTS care_appointments_replaced;
            ALTER TABLE \(SearchSchema.appointmentsTable) RENAME TO care_appointments_replaced;
            ALTER TABLE \(SearchSchema.appointmentsShadowTable) RENAME TO \(SearchSchema.appointmentsTable);
            DROP TABLE care_appointments_replaced;
            DROP TABLE IF EXISTS care_carer_clients_replaced;
            ALTER TABLE \(SearchSchema.carerClientsTable) RENAME TO care_carer_clients_replaced;
            ALTER TABLE \(SearchSchema.carerClientsShadowTable) RENAME TO \(SearchSchema.carerClientsTable);
            DROP TABLE care_carer_clients_replaced;
            """)
    }
}
