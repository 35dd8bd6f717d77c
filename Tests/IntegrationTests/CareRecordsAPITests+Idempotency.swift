import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// `Idempotency-Key` on the care writes: a retry with the same key and request answers the
/// first answer again (same status and body, `Idempotent-Replayed: true`) and writes no second
/// event; the key with another request is refused (422) and changes nothing; keys belong to
/// the caller and the client's company.
extension CareRecordsAPITests {
    /// The event types of the client's stream (`clientId` its number), in order.
    private func eventTypes(_ clientId: String) async throws -> [String] {
        let stack = try await Self.shared.stack()
        let search = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        let streamId = try await search.query("SELECT id FROM clients WHERE number = $1", [Int64(clientId)!])[0].decode(0, as: UUID.self)
        await search.close()
        let commands = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let types = try await commands.query("SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version", [streamId])
            .map { try $0.decode(0, as: String.self) }
        await commands.close()
        return types
    }

    /// Sends the request twice with `key`; both answers must be the same, the second a
    /// replay, and the client's stream must have gained exactly one event (`type`).
    @discardableResult
    private func twice(_ method: HTTPMethod, _ path: String, as token: String, body: Any? = nil, key: String,
                       client: String, adds type: String, status: Int) async throws -> Reply {
        let before = try await eventTypes(client)
        let first = try await call(method, path, as: token, body: body, headers: [("Idempotency-Key", key)])
        XCTAssertEqual(first.status, status, "\(method) \(path): \(first.text)")
        XCTAssertNil(first.headers["Idempotent-Replayed"], "\(method) \(path): the first answer is no replay")
        let again = try await call(method, path, as: token, body: body, headers: [("Idempotency-Key", key)])
        XCTAssertEqual(again.status, status, "\(method) \(path) again: \(again.text)")
        XCTAssertEqual(again.headers["Idempotent-Replayed"], "true", "\(method) \(path) again")
        XCTAssertEqual(again.text, first.text, "\(method) \(path): the replay answers the first body")
        let after = try await eventTypes(client)
        XCTAssertEqual(after, before + [type], "\(method) \(path): one event for two requests")
        return first
    }

    func testARetriedCareWriteWithTheSameKeyWritesOnceAndAnswersTheSame() async throws {
        let w = try await world()
        let id = try await client(w)
        let key = UUID().uuidString
        let token = w.admin.token

        let goal = try await twice(.POST, "/api/goal/create", as: token, body: ["clientId": id, "title": "Walk to the shops"],
                                   key: key + "-goal", client: id, adds: "client.goal_added", status: 201)
        let goals = try await call(.GET, "/api/goal/client/\(id)", as: token)
        XCTAssertEqual(goals.list.count, 1, goals.text)
        XCTAssertEqual(goal.data["id"] as? String, goals.list.first?["id"] as? String)
        let goalId = try XCTUnwrap(goal.data["id"] as? String)

        // Without the key, the second booking would be the carer's overlap (409).
        let booking: [String: Any] = ["clientId": id, "healthCarerId": w.carer.id, "date": "2026-05-04", "startTime": "09:00",
                                      "endTime": "11:00", "serviceType": "Support Work"]
        let appointment = try await twice(.POST, "/api/appointment/create", as: token, body: booking, key: key + "-booking",
                                          client: id, adds: "client.appointment_added", status: 201)
        let appointments = try await call(.GET, "/api/appointment/appointmentListsClient/\(id)", as: token)
        XCTAssertEqual(appointments.list.map { $0["id"] as? String }, [appointment.data["id"] as? String])
        let appointmentId = try XCTUnwrap(appointment.data["id"] as? String)

        try await twice(.PUT, "/api/goal/\(goalId)", as: token, body: ["status": "in_progress"], key: key + "-goal-change",
                        client: id, adds: "client.goal_changed", status: 200)
        let task = try await twice(.POST, "/api/goal/\(goalId)/tasks", as: token, body: ["title": "Find the shoes"],
                                   key: key + "-task", client: id, adds: "client.goal_task_added", status: 201)
        let taskId = try XCTUnwrap((task.data["tasks"] as? [[String: Any]])?.first?["id"] as? String)
        try await twice(.PUT, "/api/goal/\(goalId)/tasks/\(taskId)", as: token, body: ["done": true], key: key + "-task-change",
                        client: id, adds: "client.goal_task_changed", status: 200)
        let medication = try await twice(.POST, "/api/medication/create", as: token, body: [
            "clientId": id, "medicineName": "Sertraline", "dose": "50mg", "frequency": "Daily", "startDate": "2026-01-01",
        ], key: key + "-medication", client: id, adds: "client.medication_added", status: 201)
        let medicationId = try XCTUnwrap(medication.data["id"] as? String)
        try await twice(.PUT, "/api/medication/\(medicationId)", as: token, body: ["dose": "100mg"], key: key + "-medication-change",
                        client: id, adds: "client.medication_changed", status: 200)
        try await twice(.DELETE, "/api/medication/\(medicationId)", as: token, key: key + "-stop", client: id,
                        adds: "client.medication_changed", status: 200)
        try await twice(.PUT, "/api/medication/client/\(id)", as: token, body: ["allergies": ["Latex"]], key: key + "-allergies",
                        client: id, adds: "client.profile_changed", status: 200)
        try await twice(.PUT, "/api/appointment/\(appointmentId)", as: token, body: ["startTime": "10:00", "endTime": "12:00"],
                        key: key + "-reschedule", client: id, adds: "client.appointment_changed", status: 200)
        try await twice(.PUT, "/api/user/clientUpdate/\(id)", as: token, body: ["address": ["suburb": "Newtown"]],
                        key: key + "-profile", client: id, adds: "client.profile_changed", status: 200)
        try await twice(.PUT, "/api/user/updateUserStatus/\(id)/inactive", as: token, key: key + "-status", client: id,
                        adds: "client.profile_changed", status: 200)

        // A care client's creation: one client for two requests.
        let ndis = "43" + String(format: "%07d", Int.random(in: 0...9_999_999))
        let creation: [String: Any] = ["personalInfo": ["firstName": "Ann", "lastName": "Lee"], "ndisDetails": ["ndisNumber": ndis]]
        let created = try await call(.POST, "/api/clientDetails/create", as: token, body: creation,
                                     headers: [("Idempotency-Key", key + "-client")])
        XCTAssertEqual(created.status, 201, created.text)
        let recreated = try await call(.POST, "/api/clientDetails/create", as: token, body: creation,
                                       headers: [("Idempotency-Key", key + "-client")])
        XCTAssertEqual(recreated.status, 201, "not the NDIS number's 409: \(recreated.text)")
        XCTAssertEqual(recreated.headers["Idempotent-Replayed"], "true")
        XCTAssertEqual(recreated.data["id"] as? String, created.data["id"] as? String)
        let byNDIS = try await call(.POST, "/api/user/clientByNdis/list", as: token, body: ["ndisNumber": ndis])
        XCTAssertEqual(byNDIS.list.count, 1, byNDIS.text)
    }

    func testACareKeyUsedWithAnotherRequestIsRefusedAndChangesNothing() async throws {
        let w = try await world()
        let id = try await client(w)
        let key = "retry-\(UUID().uuidString)"
        let first = try await call(.POST, "/api/goal/create", as: w.admin.token, body: ["clientId": id, "title": "Cook a meal"],
                                   headers: [("Idempotency-Key", key)])
        XCTAssertEqual(first.status, 201, first.text)
        let before = try await eventTypes(id)
        let otherBody = try await call(.POST, "/api/goal/create", as: w.admin.token, body: ["clientId": id, "title": "Cook two meals"],
                                       headers: [("Idempotency-Key", key)])
        XCTAssertEqual(otherBody.status, 422, otherBody.text)
        XCTAssertEqual(otherBody.json["success"] as? Bool, false)
        XCTAssertEqual(otherBody.json["message"] as? String, "This idempotency key was already used for a different request")
        let otherRoute = try await call(.POST, "/api/medication/create", as: w.admin.token, body: [
            "clientId": id, "medicineName": "Sertraline", "dose": "50mg", "frequency": "Daily", "startDate": "2026-01-01",
        ], headers: [("Idempotency-Key", key)])
        XCTAssertEqual(otherRoute.status, 422, "the hash covers the path: \(otherRoute.text)")
        let after = try await eventTypes(id)
        XCTAssertEqual(after, before, "a refused key writes nothing")
        let goals = try await call(.GET, "/api/goal/client/\(id)", as: w.admin.token)
        XCTAssertEqual(goals.list.map { $0["title"] as? String }, ["Cook a meal"])

        // A malformed key: 400 naming it, nothing written.
        for bad in ["has space", String(repeating: "k", count: 256)] {
            let reply = try await call(.POST, "/api/goal/create", as: w.admin.token, body: ["clientId": id, "title": "Another"],
                                       headers: [("Idempotency-Key", bad)])
            XCTAssertEqual(reply.status, 400, "\(bad.prefix(20)): \(reply.text)")
            XCTAssertEqual(reply.errors["Idempotency-Key"], "must be 1 to 255 printable ASCII characters without spaces")
        }
        let unchanged = try await eventTypes(id)
        XCTAssertEqual(unchanged, before)
    }

    func testCareKeysBelongToTheCallerAndTheClientsCompany() async throws {
        let w = try await world()
        let other = try await world()
        let ours = try await client(w, coordinator: w.coordinator.id)
        let theirs = try await client(other)
        let key = "shared-\(UUID().uuidString)"

        // The super-admin, one key, two companies: two goals, neither a replay nor refused.
        let inOurs = try await call(.POST, "/api/goal/create", as: w.root, body: ["clientId": ours, "title": "Catch the bus"],
                                    headers: [("Idempotency-Key", key)])
        XCTAssertEqual(inOurs.status, 201, inOurs.text)
        let inTheirs = try await call(.POST, "/api/goal/create", as: w.root, body: ["clientId": theirs, "title": "Catch the bus"],
                                      headers: [("Idempotency-Key", key)])
        XCTAssertEqual(inTheirs.status, 201, "another company's key space: \(inTheirs.text)")
        XCTAssertNil(inTheirs.headers["Idempotent-Replayed"])
        XCTAssertNotEqual(inTheirs.data["id"] as? String, inOurs.data["id"] as? String)
        let theirGoals = try await call(.GET, "/api/goal/client/\(theirs)", as: other.admin.token)
        XCTAssertEqual(theirGoals.list.count, 1, theirGoals.text)

        // Two users of one company, one key, one request: each its own write.
        let body: [String: Any] = ["clientId": ours, "title": "Pay the rent"]
        let byAdmin = try await call(.POST, "/api/goal/create", as: w.admin.token, body: body, headers: [("Idempotency-Key", key)])
        let byCoordinator = try await call(.POST, "/api/goal/create", as: w.coordinator.token, body: body,
                                           headers: [("Idempotency-Key", key)])
        XCTAssertEqual(byAdmin.status, 201, byAdmin.text)
        XCTAssertEqual(byCoordinator.status, 201, byCoordinator.text)
        XCTAssertNil(byCoordinator.headers["Idempotent-Replayed"], "another user's key never replays the admin's answer")
        let ourGoals = try await call(.GET, "/api/goal/client/\(ours)", as: w.admin.token)
        XCTAssertEqual(ourGoals.list.map { $0["title"] as? String }, ["Catch the bus", "Pay the rent", "Pay the rent"])
    }

    func testParallelRetriesWithOneKeyBookOnce() async throws {
        let w = try await world()
        let id = try await client(w)
        let key = "parallel-\(UUID().uuidString)"
        let body: [String: Any] = ["clientId": id, "healthCarerId": w.carer.id, "date": "2026-06-01", "startTime": "09:00",
                                   "endTime": "10:00", "serviceType": "Support Work"]
        let url = try await Self.shared.stack().gateway.baseURL + "/api/appointment/create"
        let bytes = Array(try JSONSerialization.data(withJSONObject: body))
        let token = w.admin.token
        let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(120)))
        defer { http.shutdown() }
        let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    let response = try await http.execute(HTTPClientRequest(method: .POST, url: url, headers: [
                        "Authorization": "Bearer \(token)", "Content-Type": "application/json", "Idempotency-Key": key,
                    ], body: bytes))
                    return Reply(status: response.status.code, body: response.body, headers: response.headers)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let created = replies.filter { $0.status == 201 }
        XCTAssertFalse(created.isEmpty, replies.map(\.text).joined(separator: "\n"))
        XCTAssertTrue(replies.allSatisfy { $0.status == 201 || $0.status == 503 }, replies.map(\.text).joined(separator: "\n"))
        XCTAssertEqual(Set(created.compactMap { $0.data["id"] as? String }).count, 1, "every 201 answers the one appointment")
        let types = try await eventTypes(id)
        XCTAssertEqual(types.filter { $0 == "client.appointment_added" }.count, 1)
    }
}
