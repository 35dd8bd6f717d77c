import Foundation
import Postgres
import TestSupport
import XCTest

/// A health carer's client list, read from the per-carer rows the search projection keeps
/// (`care_carer_clients`): it follows bookings, a reschedule to another carer, status changes
/// (every status counts), a client's new names, a deletion and an erasure, and always equals
/// what grouping the appointments and joining the clients says.
extension CareRecordsAPITests {
    /// `carer`'s list as lines "id firstName appointmentCount", in the list's order.
    private func carerList(_ w: World, _ carer: String) async throws -> [String] {
        let reply = try await call(.GET, "/api/appointment/getClientList/healthCarerId/\(carer)", as: w.admin.token)
        XCTAssertEqual(reply.status, 200, reply.text)
        return reply.list.map { "\($0["id"] as? String ?? "") \($0["firstName"] as? String ?? "-") \($0["appointmentCount"] as? Int ?? -1)" }
    }

    /// The rows of `care_carer_clients` that differ from the appointments grouped by carer and
    /// client, joined with the live clients (both ways): none when the summary is right.
    private func summaryDifferences(_ search: PostgresPool) async throws -> Int64 {
        try await search.query("""
            WITH grouped AS (
                SELECT n.carer_id, c.id AS client_id, c.tenant_id, c.number, c.name, c.care #>> '{personalInfo,firstName}' AS first_name,
                       c.care #>> '{personalInfo,lastName}' AS last_name, n.count AS appointment_count
                FROM (SELECT carer_id, client_id, tenant_id, count(*) AS count FROM care_appointments
                      GROUP BY carer_id, client_id, tenant_id) AS n
                JOIN clients c ON c.id = n.client_id AND NOT c.deleted
            ), kept AS (
                SELECT carer_id, client_id, tenant_id, number, name, first_name, last_name, appointment_count FROM care_carer_clients
            )
            SELECT (SELECT count(*) FROM (SELECT * FROM grouped EXCEPT SELECT * FROM kept) AS missing)
                 + (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM grouped) AS extra)
            """)[0].decode(0, as: Int64.self)
    }

    func testACarersClientListFollowsBookingsReschedulesRenamesDeletionsAndErasures() async throws {
        let w = try await world()
        let stack = try await Self.shared.stack()
        let search = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        let (first, second, third) = (try await client(w), try await client(w), try await client(w))
        var appointments: [String] = []
        for (index, (client, carer)) in [(first, w.carer.id), (first, w.carer.id), (second, w.carer.id), (third, w.carer.id),
                                         (third, w.otherCarer.id)].enumerated() {
            let booked = try await book(w, client, carer: carer, date: "2026-05-0\(index + 1)", from: "09:00", to: "10:00")
            XCTAssertEqual(booked.status, 201, booked.text)
            appointments.append(try XCTUnwrap(booked.data["id"] as? String))
        }
        var list = try await carerList(w, w.carer.id)
        XCTAssertEqual(list, ["\(first) Jane 2", "\(second) Jane 1", "\(third) Jane 1"], "by number, every booking counted")
        list = try await carerList(w, w.otherCarer.id)
        XCTAssertEqual(list, ["\(third) Jane 1"])

        // One of the first client's visits moves to the other carer: one less here, one there.
        let moved = try await call(.PUT, "/api/appointment/\(appointments[1])", as: w.admin.token,
                                   body: ["healthCarerId": w.otherCarer.id])
        XCTAssertEqual(moved.status, 200, moved.text)
        // A cancelled visit still counts (the list counts appointments of any status); the
        // second client's only visit moving away takes it off the list.
        let cancelled = try await call(.PUT, "/api/appointment/\(appointments[0])", as: w.admin.token, body: ["status": "cancelled"])
        XCTAssertEqual(cancelled.status, 200, cancelled.text)
        let away = try await call(.PUT, "/api/appointment/\(appointments[2])", as: w.admin.token, body: ["healthCarerId": w.otherCarer.id])
        XCTAssertEqual(away.status, 200, away.text)
        list = try await carerList(w, w.carer.id)
        XCTAssertEqual(list, ["\(first) Jane 1", "\(third) Jane 1"])
        list = try await carerList(w, w.otherCarer.id)
        XCTAssertEqual(list, ["\(first) Jane 1", "\(second) Jane 1", "\(third) Jane 1"])

        // A new first name shows in both carers' lists.
        let renamed = try await call(.PUT, "/api/user/clientUpdate/\(first)", as: w.admin.token,
                                     body: ["personalInfo": ["firstName": "Janet"]])
        XCTAssertEqual(renamed.status, 200, renamed.text)
        list = try await carerList(w, w.carer.id)
        XCTAssertEqual(list, ["\(first) Janet 1", "\(third) Jane 1"])
        list = try await carerList(w, w.otherCarer.id)
        XCTAssertEqual(list, ["\(first) Janet 1", "\(second) Jane 1", "\(third) Jane 1"])
        var differences = try await summaryDifferences(search)
        XCTAssertEqual(differences, 0)

        // Deleted, then erased (the admin API names a client `client_<number>`; the care API's
        // id is the number): gone from every list, and no list row keeps the client.
        let deleted = try await call(.DELETE, "/api/admin/clients/client_\(second)", as: w.admin.token)
        XCTAssertTrue([200, 204].contains(deleted.status), deleted.text)
        let erased = try await call(.POST, "/api/admin/clients/client_\(first)/erase", as: w.admin.token)
        XCTAssertTrue([200, 202].contains(erased.status), erased.text)
        try await eventually("the deleted and erased clients leave the lists") {
            try await carerList(w, w.otherCarer.id) == ["\(third) Jane 1"]
        }
        list = try await carerList(w, w.carer.id)
        XCTAssertEqual(list, ["\(third) Jane 1"])
        let left = try await search.query("SELECT count(*) FROM care_carer_clients WHERE number = ANY($1::bigint[])",
                                          ["{\(first),\(second)}"])[0].decode(0, as: Int64.self)
        XCTAssertEqual(left, 0, "no list row is left of a deleted or erased client")
        differences = try await summaryDifferences(search)
        XCTAssertEqual(differences, 0)
        await search.close()
    }

    /// The access records' GIN index (`client_numbers`, how "every access of client N" is
    /// found) keeps no pending list for long: the gateway empties it beside the appends, so no
    /// append finds it full and merges it before its answer goes. The records stay findable.
    func testTheAccessRecordsPendingListIsEmptiedBesideTheAppends() async throws {
        let w = try await world()
        let stack = try await Self.shared.stack()
        let gateway = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.gatewayDatabase, poolSize: 1))
        try await gateway.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        let id = try await client(w)
        let booked = try await book(w, id, carer: w.carer.id, date: "2026-06-01", from: "09:00", to: "10:00")
        XCTAssertEqual(booked.status, 201, booked.text)
        for _ in 0..<3 {
            let list = try await call(.GET, "/api/appointment/getClientList/healthCarerId/\(w.carer.id)", as: w.carer.token)
            XCTAssertEqual(list.status, 200, list.text)
        }
        try await eventually("the access records' pending list is emptied") {
            try await gateway.query("SELECT (pgstatginindex('care_access_log_by_client')).pending_pages")[0]
                .decode(0, as: Int.self) == 0
        }
        let records = try await auditRecords(w, id)
        XCTAssertEqual(records.filter { ($0["route"] as? String) == "GET /api/appointment/getClientList/healthCarerId/:healthCarerId" }
                           .count, 3, "each list's record is found by the client's number, through the index")
        await gateway.close()
    }
}
