import EventLog
import Foundation
import JSON
import Postgres
import Projection

/// Keeps `crm_contacts` from the events topic inside the `ProjectionRunner`'s transaction, so
/// the sync's state and its offsets are committed together: a crash loses both, and the
/// events come again (the stream-version rule skips what was applied).
///
/// The CRM sync is not rebuilt (its rows hold what the CRM acknowledged, which a replay
/// cannot know): `prepareShadow` and `promoteShadow` refuse.
struct CRMContactsReadModel: ProjectionReadModel {
    func apply(_ events: [StoredEvent], to target: ProjectionTarget, storing offsets: ProjectionOffsets.Pending?,
               on connection: PostgresConnection) throws -> (ProjectionApplyOutcome, storedOffsets: Bool) {
        var outcome = ProjectionApplyOutcome()
        guard !events.isEmpty else { return (outcome, false) }
        let ids = Set(events.map(\.envelope.streamId)).map { $0.uuidString.lowercased() }
        var states: [UUID: CRMContactState] = [:]
        for row in try connection.query(StreamFold.rowsQuery(columns: CRMContactState.selectList, from: "crm_contacts"),
                                        ["{" + ids.joined(separator: ",") + "}"]) {
            let state = try CRMContactState(row: row)
            states[state.id] = state
        }
        let changed = StreamFold.fold(events, into: &states, outcome: &outcome, apply: { state, event, envelope in
            state.apply(event, envelope: envelope)
        }, create: { event, envelope in
            CRMContactState(creating: event, envelope: envelope)
        })
        guard !changed.isEmpty else { return (outcome, false) }
        let records = JSONValue.array(changed.compactMap { states[$0]?.record })
        try connection.execute("""
            INSERT INTO crm_contacts (id, tenant_id, version, profile, deleted, crm_version, erased)
            SELECT id, tenant_id, version, profile, deleted, crm_version, erased
            FROM jsonb_to_recordset($1::jsonb)
                AS r(id uuid, tenant_id uuid, version bigint, profile jsonb, deleted boolean, crm_version bigint, erased boolean)
            ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, profile = EXCLUDED.profile,
                deleted = EXCLUDED.deleted, crm_version = EXCLUDED.crm_version, erased = EXCLUDED.erased
            WHERE crm_contacts.version < EXCLUDED.version
            """, [String(decoding: records.serialized(), as: UTF8.self)])
        return (outcome, false)
    }

    func prepareShadow(on connection: PostgresConnection) throws {
        throw PostgresError(.invalidArgument, "the CRM sync's state cannot be rebuilt from the log")
    }

    func promoteShadow(on connection: PostgresConnection) throws {
        throw PostgresError(.invalidArgument, "the CRM sync's state cannot be rebuilt from the log")
    }

    func passOver(streamId: UUID, version: Int64, in target: ProjectionTarget, on connection: PostgresConnection) throws {
        try connection.execute("UPDATE crm_contacts SET version = $2 WHERE id = $1 AND version = $2 - 1", [streamId, version])
    }
}
