import ClientDomain
import EventLog
import Foundation
import Postgres
import Projection

/// Applies client events to the stats tables (or their rebuild shadows): constant work per
/// event, whatever the number of clients.
///
/// A batch is folded in memory: it takes the target's advisory lock, reads the state rows
/// of the streams it touches with one query (none when it only creates streams,
/// `StreamFold.creationsOnly`: the write then checks that none of them has a row, and if one
/// has, writes nothing and the batch is applied the usual way), applies each event whose version is the next
/// one (`StreamVersionRule`), taking the client's old contribution off the counters and
/// adding its new one, and writes the changed states, the summed counter changes and the
/// runner's offsets back with one statement. All of it runs in the runner's transaction with the
/// offsets, so a batch counts once or not at all; duplicates and early events change
/// nothing. A client deleted leaves every counter; its tombstone keeps the version.
///
/// Events whose tenant is the nil UUID (`StatsSchema.allTenants`, where the sums over all
/// tenants are kept) are rejected (the runner parks them).
public struct ClientStatsProjection: ProjectionReadModel {
    /// Whether a replayed log's creations are coming (see `ReplayedCreations`).
    private let replayed = ReplayedCreations()

    public init() {}

    /// Applies `events` and stores `offsets` with the changes, in one statement (when the
    /// batch changed nothing, the runner stores them).
    public func apply(_ events: [StoredEvent], to target: ProjectionTarget, storing offsets: ProjectionOffsets.Pending?,
                      on connection: PostgresConnection) throws -> (ProjectionApplyOutcome, storedOffsets: Bool) {
        var outcome = ProjectionApplyOutcome()
        guard !events.isEmpty else { return (outcome, false) }
        let tables = StatsTables.of(target)
        _ = try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [tables.lock])
        if StreamFold.creationsOnly(events) {
            // No read: the write checks that none of the streams has a row and writes nothing if one has.
            let (fresh, duplicates) = try replayed.withoutApplied(events, in: tables.clients, target: target, on: connection)
            var created = ProjectionApplyOutcome()
            created.duplicates = duplicates
            guard !fresh.isEmpty else { return (created, false) }
            var states: [UUID: StatsClientState] = [:]
            var delta = StatsDelta()
            let changed = Self.fold(fresh, into: &states, outcome: &created, delta: &delta)
            if created.rejected.isEmpty, !changed.isEmpty {
                if try write(changed.compactMap { states[$0]?.record }, delta, to: tables, storing: offsets,
                             onlyIfNew: true, on: connection) {
                    return (created, offsets != nil)
                }
                // Some of the streams have a row: a replayed log's creations.
                replayed.note(target, foundApplied: true)
            }
        }
        let ids = Set(events.map(\.envelope.streamId))
        var states: [UUID: StatsClientState] = [:]
        for row in try connection.query(StreamFold.rowsQuery(columns: StatsClientState.selectList, from: tables.clients),
                                        [PostgresArray(Array(ids))]) {
            let state = try StatsClientState(row: row)
            states[state.id] = state
        }
        var delta = StatsDelta()
        let changed = Self.fold(events, into: &states, outcome: &outcome, delta: &delta)
        guard !changed.isEmpty else { return (outcome, false) }
        _ = try write(changed.compactMap { states[$0]?.record }, delta, to: tables, storing: offsets, onlyIfNew: false,
                      on: connection)
        return (outcome, offsets != nil)
    }

    /// Folds `events` into `states`, adding each change of a client's contribution to `delta`.
    private static func fold(_ events: [StoredEvent], into states: inout [UUID: StatsClientState],
                             outcome: inout ProjectionApplyOutcome, delta: inout StatsDelta) -> [UUID] {
        // Each event takes the client's old contribution off the counters and adds its new one.
        StreamFold.fold(events, into: &states, outcome: &outcome, apply: { state, event, envelope in
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
    }

    /// Writes the changed states and adds the counter changes (the fixed dimensions' to
    /// `tables.counts`, the listed ones' to `tables.topCounts`); counters that reach 0 are
    /// removed.
    ///
    /// One statement for the four tables (a batch used to take five round trips here): the
    /// data-modifying CTEs all run to completion, whatever the final SELECT reads. The counter
    /// rows are read, then each is either deleted (it reaches 0) or upserted (it stays above
    /// 0), never both; that decision reads the statement's snapshot, which is the latest
    /// committed state because every writer of these tables holds `tables.lock`. The SQL text
    /// is the same for every batch (empty changes are empty arrays), so it stays prepared.
    /// Every row is found through its key (a LATERAL lookup that is not flattened, an id
    /// array, the row's ctid): the planner takes a JSON recordset for 100 rows, and a join
    /// with it scanned whole tables, a cost per batch that grew with them (measured:
    /// docs/performance.md, design measurements).
    ///
    /// With `onlyIfNew` it writes nothing (and returns false) if any of the states' streams
    /// has a row already (the batch was folded without reading them).
    private func write(_ records: [StatsClientState.Record], _ delta: StatsDelta, to tables: StatsTables,
                       storing offsets: ProjectionOffsets.Pending?, onlyIfNew: Bool,
                       on connection: PostgresConnection) throws -> Bool {
        let (fixed, listed) = delta.counterRecordsByTable
        let counters = RecordsetJSON.array(fixed) { json, counter in counter.writeFields(to: &json) }
        let topCounters = RecordsetJSON.array(listed) { json, counter in counter.writeFields(to: &json) }
        let days = RecordsetJSON.array(delta.dayRecords) { json, day in day.writeFields(to: &json) }
        let states = RecordsetJSON.array(records) { json, record in record.writeFields(to: &json) }
        let result = try connection.query(Self.writeStatement(tables, storingOffsets: offsets != nil, onlyIfNew: onlyIfNew),
                                          [states, counters, topCounters, days] + (offsets?.parameters ?? []))
        if try result[0].decode(4, as: Int64.self) > 0 { return false }
        let written = try result[0].decode(0, as: Int64.self)
        // Under the advisory lock the states read are the latest committed, so every write
        // moves a version forward; if one did not, the counters would not match the states.
        guard written == records.count else {
            throw PostgresError(.invalidArgument, "stats state rows changed while a batch was applied",
                                context: ["expected": String(records.count), "written": String(written)])
        }
        // A client taken off a counter it was never added to: the batch must not commit.
        if try result[0].decode(1, as: Int64.self) > 0 {
            throw PostgresError(.invalidArgument, "a stats counter went below zero", context: ["table": tables.counts])
        }
        if try result[0].decode(2, as: Int64.self) > 0 {
            throw PostgresError(.invalidArgument, "a stats counter went below zero", context: ["table": tables.topCounts])
        }
        if try result[0].decode(3, as: Int64.self) > 0 {
            throw PostgresError(.invalidArgument, "a stats counter went below zero", context: ["table": tables.days])
        }
        return true
    }

    /// The statement `write` runs for `tables`: $1 the state records, $2 the fixed
    /// dimensions' counter changes, $3 the listed dimensions' ones, $4 the per-day changes,
    /// and with `storingOffsets` $5 to $7 the offsets (`ProjectionOffsets.Pending`); it
    /// returns the state rows written and, per counter table (counts, top counts, days), how
    /// many counters would go below 0, and how many of the states' streams had a row already
    /// if `onlyIfNew` (then it changed none of the four tables), else 0.
    static func writeStatement(_ tables: StatsTables, storingOffsets: Bool, onlyIfNew: Bool) -> String {
        // One LATERAL key lookup per state, like the counters': `id = ANY (...)` took a seq scan
        // when its generic plan was made while the table was small, and kept it as the table
        // grew, until autoanalyze came by (most of a batch's time; measured:
        // docs/performance.md, design measurements).
        let existing = onlyIfNew ? """
            existing AS (
                SELECT count(*) AS n FROM jsonb_array_elements($1::jsonb) AS e
                JOIN LATERAL (
                    SELECT 1 FROM \(tables.clients) c WHERE c.id = (e ->> 'id')::uuid LIMIT 1
                ) c ON true
            ),
            """ : ""
        // A condition on `existing` alone is a one-time filter: when a stream has a row (a
        // replayed log's creations), the counter lookups are not made at all.
        let onlyIf = onlyIfNew ? " AND (SELECT n FROM existing) = 0" : ""
        let assignments = StatsClientState.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0 != "id" }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        let offsets = storingOffsets ? ProjectionOffsets.Pending.cte(firstParameter: 5) + ", " : ""
        let counterKeys = [("tenant_id", "uuid"), ("dimension", "text"), ("value", "text")]
        return """
            WITH \(offsets)\(existing)states AS (
                INSERT INTO \(tables.clients) (\(StatsClientState.columns))
                SELECT \(StatsClientState.columns) FROM jsonb_to_recordset($1::jsonb) AS r(\(StatsClientState.recordsetTypes))
                WHERE true\(onlyIf)
                ON CONFLICT (id) DO UPDATE SET \(assignments)
                WHERE \(tables.clients).version < EXCLUDED.version
                RETURNING 1
            ), \(Self.deltaCTEs("counters", table: tables.counts, keys: counterKeys, parameter: 2, onlyIf: onlyIf)),
            \(Self.deltaCTEs("top_counters", table: tables.topCounts, keys: counterKeys, parameter: 3, onlyIf: onlyIf)),
            \(Self.deltaCTEs("days", table: tables.days, keys: [("tenant_id", "uuid"), ("kind", "text"), ("day", "date")],
                             parameter: 4, onlyIf: onlyIf))
            SELECT (SELECT count(*) FROM states),
                   (SELECT count(*) FROM counters WHERE after < 0\(onlyIf)),
                   (SELECT count(*) FROM top_counters WHERE after < 0\(onlyIf)),
                   (SELECT count(*) FROM days WHERE after < 0\(onlyIf)),
                   \(onlyIfNew ? "(SELECT n FROM existing)" : "0::bigint")
            """
    }

    /// The three CTEs that add the deltas of recordset parameter `$parameter` to the counter
    /// table `table`, keyed by `keys` (column, type): `name` (each delta with the count it
    /// leads to), `name_removed` (counts reaching 0 deleted) and `name_written` (the others
    /// added or inserted); `onlyIf` gates both writes.
    static func deltaCTEs(_ name: String, table: String, keys: [(column: String, type: String)], parameter: Int,
                          onlyIf: String) -> String {
        let columns = keys.map(\.column).joined(separator: ", ")
        return """
            \(name) AS (
                SELECT \(keys.map { "r.\($0.column)" }.joined(separator: ", ")), r.delta, t.ctid AS row,
                       t.count IS NOT NULL AS present, COALESCE(t.count, 0) + r.delta AS after
                FROM jsonb_to_recordset($\(parameter)::jsonb) AS r(\(keys.map { "\($0.column) \($0.type)" }.joined(separator: ", ")), delta bigint)
                LEFT JOIN LATERAL (
                    SELECT ctid, count FROM \(table) t
                    WHERE \(keys.map { "t.\($0.column) = r.\($0.column)" }.joined(separator: " AND ")) LIMIT 1
                ) t ON true
            ), \(name)_removed AS (
                DELETE FROM \(table)
                WHERE ctid = ANY (ARRAY(SELECT row FROM \(name) WHERE present AND after <= 0\(onlyIf)))
            ), \(name)_written AS (
                INSERT INTO \(table) (\(columns), count)
                SELECT \(columns), delta FROM \(name) WHERE after > 0\(onlyIf)
                ON CONFLICT (\(columns)) DO UPDATE SET count = \(table).count + EXCLUDED.count
            )
            """
    }

    /// Creates each shadow table like its live one, indexes included (they are small enough
    /// to keep up row by row), and with its storage parameters, which `LIKE` leaves out:
    /// without `stats_counts`' `fillfactor` a rebuilt table would fill its pages, leaving
    /// less room for the HOT updates of its rows.
    public func prepareShadow(on connection: PostgresConnection) throws {
        try connection.executeScript(StatsTables.baseNames.map { base in
            """
            DROP TABLE IF EXISTS \(base)_rebuild;
            CREATE TABLE \(base)_rebuild (LIKE \(base) INCLUDING ALL);
            DO $$
            DECLARE options TEXT;
            BEGIN
                SELECT string_agg(quote_ident(split_part(o, '=', 1)) || ' = ' || quote_literal(substr(o, strpos(o, '=') + 1)), ', ')
                INTO options FROM pg_class, unnest(reloptions) AS o WHERE pg_class.oid = '\(base)'::regclass;
                IF options IS NOT NULL THEN
                    EXECUTE 'ALTER TABLE \(base)_rebuild SET (' || options || ')';
                END IF;
            END
            $$;
            """
        }.joined(separator: "\n"))
    }

    /// Moves the client's state row to `version` (its counters stay as they were).
    public func passOver(streamId: UUID, version: Int64, in target: ProjectionTarget, on connection: PostgresConnection) throws {
        let tables = StatsTables.of(target)
        _ = try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [tables.lock])
        try connection.execute("UPDATE \(tables.clients) SET version = $2 WHERE id = $1 AND version = $2 - 1", [streamId, version])
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
}
