import ClientDomain
import Foundation
import JSON
import Postgres
import Projection

/// The care tables written with the clients' rows, in the batch's transaction: the
/// appointments (`care_appointments`) and each carer's client list (`care_carer_clients`).
extension ClientSearchProjection {
    static func appointmentsTable(_ target: ProjectionTarget) -> String {
        target == .live ? SearchSchema.appointmentsTable : SearchSchema.appointmentsShadowTable
    }

    static func carerClientsTable(_ target: ProjectionTarget) -> String {
        target == .live ? SearchSchema.carerClientsTable : SearchSchema.carerClientsShadowTable
    }

    /// Writes the appointments `rows`' events left (each at the stream version that last
    /// changed it, never over a newer one, so a replay in other batches writes the same rows)
    /// and drops those of the clients deleted, in the batch's transaction. Answers the carers
    /// whose counts the writes may have changed: for each appointment written, its carer
    /// now and, when it was there before, its carer then (a reschedule to another carer).
    static func writeAppointments(_ rows: [SearchRow], target: ProjectionTarget,
                                  on connection: PostgresConnection) throws -> [CarerClientPair] {
        let table = appointmentsTable(target)
        let deleted = rows.filter(\.deleted).map(\.id)
        if !deleted.isEmpty {
            try connection.execute("DELETE FROM \(table) WHERE client_id = ANY($1::uuid[])", [PostgresArray(deleted)])
        }
        let written = rows.filter { !$0.deleted && !$0.appointments.isEmpty }
        guard !written.isEmpty else { return [] }
        var json = RecordsetJSON(capacity: written.reduce(0) { $0 + $1.appointments.count } * 260)
        for row in written {
            for (appointment, version) in row.appointments {
                json.beginRow()
                json.field("id", appointment.id.lowercasedString)
                json.field("client_id", row.id.lowercasedString)
                json.field("tenant_id", row.tenantId.lowercasedString)
                json.field("carer_id", appointment.text("healthCarerId"))
                json.field("starts_at", appointment.text("startsAt"))
                json.field("ends_at", appointment.text("endsAt"))
                json.field("service_type", appointment.text("serviceType"))
                json.field("status", appointment.text("status"))
                json.field("version", version)
                json.endRow()
            }
        }
        // `before` and `written` read one snapshot (the statement's): `before` holds each
        // appointment's carer as it was, whatever the upsert changes.
        return try connection.query("""
            WITH r AS (
                SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, client_id uuid, tenant_id uuid, carer_id uuid,
                    starts_at timestamptz, ends_at timestamptz, service_type text, status text, version bigint)
            ), before AS (
                SELECT a.id, a.carer_id FROM \(table) a WHERE a.id IN (SELECT id FROM r)
            ), written AS (
                INSERT INTO \(table) (id, client_id, tenant_id, carer_id, starts_at, ends_at, service_type, status, version)
                SELECT id, client_id, tenant_id, carer_id, starts_at, ends_at, service_type, status, version FROM r
                ON CONFLICT (id) DO UPDATE SET carer_id = EXCLUDED.carer_id, starts_at = EXCLUDED.starts_at,
                    ends_at = EXCLUDED.ends_at, service_type = EXCLUDED.service_type, status = EXCLUDED.status,
                    version = EXCLUDED.version
                WHERE \(table).version < EXCLUDED.version AND \(table).client_id = EXCLUDED.client_id
                RETURNING id, client_id, tenant_id, carer_id
            )
            SELECT client_id, tenant_id, carer_id FROM written
            UNION
            SELECT w.client_id, w.tenant_id, b.carer_id FROM written w JOIN before b ON b.id = w.id
            """, [json.finish()]).map { row in
            CarerClientPair(clientId: try row.decode(0), tenantId: try row.decode(1), carerId: try row.decode(2))
        }
    }

    /// Keeps the carers' client lists (`care_carer_clients`) in step with the batch: recounts
    /// the `touched` carer-and-client pairs from the appointments (a pair left with none goes),
    /// copies the names of the `renamed` clients from their rows, and removes the `deleted`
    /// clients (deleted or erased: no list keeps their names).
    ///
    /// A pair is recounted whole, with the client's names read from its row just written, so
    /// a list row always says what grouping the appointments and joining the client would;
    /// the count is an index range scan of the carer's appointments with that client.
    static func writeCarerClients(touched: [CarerClientPair], deleted: [UUID], renamed: [UUID], target: ProjectionTarget,
                                  on connection: PostgresConnection) throws {
        let table = carerClientsTable(target)
        let clients = Self.table(target)
        if !deleted.isEmpty {
            try connection.execute("DELETE FROM \(table) WHERE client_id = ANY($1::uuid[])", [PostgresArray(deleted)])
        }
        if !renamed.isEmpty {
            try connection.execute("""
                UPDATE \(table) s SET number = c.number, name = c.name, first_name = c.care #>> '{personalInfo,firstName}',
                    last_name = c.care #>> '{personalInfo,lastName}'
                FROM \(clients) c
                WHERE c.id = ANY($1::uuid[]) AND s.client_id = c.id
                  AND (s.number, s.name, s.first_name, s.last_name) IS DISTINCT FROM
                      (c.number, c.name, c.care #>> '{personalInfo,firstName}', c.care #>> '{personalInfo,lastName}')
                """, [PostgresArray(renamed)])
        }
        guard !touched.isEmpty else { return }
        // The DELETE takes the pairs counted zero, the INSERT the others: never one row twice.
        try connection.execute("""
            WITH p AS (
                SELECT DISTINCT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS p(client_id, tenant_id, carer_id)
            ), n AS (
                SELECT p.*, (SELECT count(*) FROM \(appointmentsTable(target)) a
                             WHERE a.carer_id = p.carer_id AND a.tenant_id = p.tenant_id AND a.client_id = p.client_id) AS count
                FROM p
            ), gone AS (
                DELETE FROM \(table) s USING n
                WHERE n.count = 0 AND s.carer_id = n.carer_id AND s.client_id = n.client_id
            )
            INSERT INTO \(table) (carer_id, client_id, tenant_id, number, name, first_name, last_name, appointment_count)
            SELECT n.carer_id, c.id, c.tenant_id, c.number, c.name, c.care #>> '{personalInfo,firstName}',
                   c.care #>> '{personalInfo,lastName}', n.count
            FROM n JOIN \(clients) c ON c.id = n.client_id AND c.tenant_id = n.tenant_id AND NOT c.deleted
            WHERE n.count > 0
            ON CONFLICT (carer_id, client_id) DO UPDATE SET tenant_id = EXCLUDED.tenant_id, number = EXCLUDED.number,
                name = EXCLUDED.name, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
                appointment_count = EXCLUDED.appointment_count
            """, [PostgresArray(touched.map(\.clientId)), PostgresArray(touched.map(\.tenantId)),
                  PostgresArray(touched.map(\.carerId))])
    }
}
