import Foundation
import HTTP
import Identity
import Postgres
import TestSupport
import XCTest

/// The care (NDIS) clients API, part 2, through the real gateway and services: goals and
/// their tasks and history, medications (a stop kept), allergies and medical history as the
/// profile's, appointments in the company's time zone, one carer never booked twice (100
/// parallel bookings of one slot, exactly one 201), a health carer's access following its
/// appointments, the access records of each read, and a rebuild of the read model ending
/// identical to the live one.
final class CareRecordsAPITests: XCTestCase {
    static let adminEmail = "root@carerecords.test"
    static let adminPassword = "care-records-bootstrap-\(UUID().uuidString)"
    static let shared = SharedStack("carerecords", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword, "RATE_LIMIT_REQUESTS": "0",
    ])

    private let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(120)))

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    struct Reply: Sendable {
        var status: Int
        var body: [UInt8]
        var headers: HTTPHeaders = [:]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var list: [[String: Any]] { json["data"] as? [[String: Any]] ?? [] }
        var errors: [String: String] { json["errors"] as? [String: String] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func call(_ method: HTTPMethod, _ path: String, as token: String?, body: Any? = nil,
              headers extra: [(String, String)] = []) async throws -> Reply {
        let gateway = GatewayCaller(http: http, stack: try await Self.shared.stack())
        var headers = HTTPHeaders()
        for (name, value) in extra { headers.add(name: name, value: value) }
        // Sorted keys: the same body is the same bytes each time (an `Idempotency-Key`'s
        // request hash covers the bytes).
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) }
        let reply = try await gateway.call(method, path, as: token.map(Credential.session), body: bytes, headers: headers)
        return Reply(status: reply.status, body: reply.body, headers: reply.headers)
    }

    private func token(_ email: String, _ password: String) async throws -> String {
        let reply = try await call(.POST, "/api/auth/login", as: nil, body: ["email": email, "password": password])
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.json["token"] as? String)
    }

    struct Person: Sendable { var id: String; var name: String; var token: String }

    struct World: Sendable {
        var root: String
        var company: String
        var admin: Person, coordinator: Person, planManager: Person, carer: Person, otherCarer: Person, sales: Person
    }

    func world() async throws -> World {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let made = try await call(.POST, "/api/companies", as: root, body: ["name": "Care Records \(suffix)"])
        XCTAssertEqual(made.status, 201, made.text)
        let company = try XCTUnwrap(made.data["id"] as? String)
        let password = "a shared test password"
        func person(_ name: String, _ role: String) async throws -> Person {
            let email = "\(name.lowercased().replacingOccurrences(of: " ", with: "."))-\(suffix)@carerecords.test"
            let reply = try await call(.POST, "/api/users", as: root, body: [
                "email": email, "name": name, "password": password, "roles": [role], "companies": [company],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            return Person(id: try XCTUnwrap(reply.data["id"] as? String), name: name, token: try await token(email, password))
        }
        return World(root: root, company: company, admin: try await person("Ada Admin", "admin"),
                     coordinator: try await person("Sam Coordinator", "support-coordinator"),
                     planManager: try await person("Pat Manager", "plan-manager"), carer: try await person("Hal Carer", "health-carer"),
                     otherCarer: try await person("Kim Carer", "health-carer"), sales: try await person("Sal Sales", "sales"))
    }

    func client(_ w: World, coordinator: String? = nil, allergies: [String]? = nil) async throws -> String {
        var ndis: [String: Any] = ["ndisNumber": "43" + String(format: "%07d", Int.random(in: 0...9_999_999))]
        if let coordinator { ndis["supportCoordinator"] = coordinator }
        var body: [String: Any] = ["personalInfo": ["firstName": "Jane", "lastName": "Smith"], "ndisDetails": ndis]
        if let allergies { body["medicalInfo"] = ["allergies": allergies] }
        let reply = try await call(.POST, "/api/clientDetails/create", as: w.admin.token, body: body)
        XCTAssertEqual(reply.status, 201, reply.text)
        return try XCTUnwrap(reply.data["id"] as? String)
    }

    /// The access records of `clientId`, oldest first.
    func auditRecords(_ w: World, _ clientId: String) async throws -> [[String: Any]] {
        let reply = try await call(.GET, "/api/audit/client-access?clientId=\(clientId)&limit=1000", as: w.root)
        XCTAssertEqual(reply.status, 200, reply.text)
        return reply.data["records"] as? [[String: Any]] ?? []
    }

    // MARK: Goals and medications

    func testGoalsTasksHistoryAndTheirRules() async throws {
        let w = try await world()
        let id = try await client(w)
        let created = try await call(.POST, "/api/goal/create", as: w.admin.token, body: [
            "clientId": id, "title": "Improve communication skills", "description": "Work on verbal communication",
            "targetDate": "2026-12-31",
        ])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(created.json["message"] as? String, "Goal created successfully")
        XCTAssertEqual(created.data["status"] as? String, "not_started")
        XCTAssertEqual((created.data["tasks"] as? [Any])?.count, 0)
        let goalId = try XCTUnwrap(created.data["id"] as? String)

        let changed = try await call(.PUT, "/api/goal/\(goalId)", as: w.admin.token, body: ["status": "in_progress"])
        XCTAssertEqual(changed.status, 200, changed.text)
        XCTAssertEqual(changed.data["status"] as? String, "in_progress")
        XCTAssertEqual(changed.data["title"] as? String, "Improve communication skills")
        let task = try await call(.POST, "/api/goal/\(goalId)/tasks", as: w.coordinator.token, body: ["title": "Practise daily"])
        XCTAssertEqual(task.status, 403, "the coordinator does not reach this client")
        let added = try await call(.POST, "/api/goal/\(goalId)/tasks", as: w.admin.token, body: ["title": "Practise daily"])
        XCTAssertEqual(added.status, 201, added.text)
        let tasks = try XCTUnwrap(added.data["tasks"] as? [[String: Any]])
        XCTAssertEqual(tasks.count, 1)
        XCTAssertEqual(tasks.first?["done"] as? Bool, false)
        let taskId = try XCTUnwrap(tasks.first?["id"] as? String)
        let done = try await call(.PUT, "/api/goal/\(goalId)/tasks/\(taskId)", as: w.admin.token, body: ["done": true])
        XCTAssertEqual(done.status, 200, done.text)
        XCTAssertEqual((done.data["tasks"] as? [[String: Any]])?.first?["done"] as? Bool, true)

        // Every change is in the goal's history, in order.
        let listed = try await call(.GET, "/api/goal/client/\(id)", as: w.admin.token)
        XCTAssertEqual(listed.status, 200, listed.text)
        XCTAssertEqual(listed.list.count, 1)
        let history = try XCTUnwrap(listed.list.first?["history"] as? [[String: Any]])
        XCTAssertEqual(history.map { $0["change"] as? String }, ["added", "changed", "task_added", "task_changed"])
        XCTAssertEqual(history[1]["fields"] as? [String], ["status"])
        XCTAssertEqual(history[3]["taskId"] as? String, taskId)
        XCTAssertEqual(history[0]["by"] as? String, "user:\(w.admin.id)")
        let details = try await call(.GET, "/api/user/clientDetails/\(id)", as: w.admin.token)
        XCTAssertEqual((details.data["goals"] as? [[String: Any]])?.first?["id"] as? String, goalId, "the profile shows the goals")

        // The rules: every problem at once, named by field; missing records are 404.
        let bad = try await call(.PUT, "/api/goal/\(goalId)", as: w.admin.token, body: ["status": "done", "targetDate": "2026-02-30",
                                                                                       "title": "", "colour": "red"])
        XCTAssertEqual(bad.status, 400, bad.text)
        XCTAssertEqual(Set(bad.errors.keys), ["status", "targetDate", "title", "colour"])
        XCTAssertFalse(bad.text.contains("2026-02-30"), "messages name fields, never values")
        let control = try await call(.POST, "/api/goal/create", as: w.admin.token, body: ["clientId": id, "title": "a\u{7}b"])
        XCTAssertEqual(control.status, 400, control.text)
        let long = try await call(.POST, "/api/goal/create", as: w.admin.token,
                                  body: ["clientId": id, "title": "Walk", "description": String(repeating: "é", count: 2001)])
        XCTAssertEqual(long.errors["description"], "must be at most 2000 characters")
        let missing = try await call(.PUT, "/api/goal/\(UUID().uuidString.lowercased())", as: w.admin.token, body: ["title": "x"])
        XCTAssertEqual(missing.status, 404, missing.text)
        XCTAssertEqual(missing.json["message"] as? String, "Goal not found")
        let noTask = try await call(.PUT, "/api/goal/\(goalId)/tasks/\(UUID().uuidString.lowercased())", as: w.admin.token,
                                    body: ["done": true])
        XCTAssertEqual(noTask.status, 404, noTask.text)
        XCTAssertEqual(noTask.json["message"] as? String, "Task not found")
        let sales = try await call(.GET, "/api/goal/client/\(id)", as: w.sales.token)
        XCTAssertEqual(sales.status, 403, sales.text)

        // Each read and write answer left its access record.
        let records = try await auditRecords(w, id)
        XCTAssertEqual(records.filter { ($0["sections"] as? [String]) == ["goals"] && $0["outcome"] as? String == "allowed" }.count, 5)
        XCTAssertTrue(records.contains { ($0["route"] as? String) == "POST /api/goal/:id/tasks" && $0["outcome"] as? String == "denied"
                                          && ($0["userId"] as? String) == w.coordinator.id })
    }

    func testMedicationsTheirStopAndAllergiesAsTheProfiles() async throws {
        let w = try await world()
        let id = try await client(w, coordinator: w.coordinator.id, allergies: ["Peanuts"])
        let body: [String: Any] = ["clientId": id, "medicineName": "Medication A", "dose": "10mg", "frequency": "Daily",
                                   "startDate": "2026-01-01", "reviewDate": "2026-06-01"]
        let byCoordinator = try await call(.POST, "/api/medication/create", as: w.coordinator.token, body: body)
        XCTAssertEqual(byCoordinator.status, 403, "a coordinator reads medical information but does not write it")
        let created = try await call(.POST, "/api/medication/create", as: w.admin.token, body: body)
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(created.data["status"] as? String, "active")
        let medicationId = try XCTUnwrap(created.data["id"] as? String)
        var early = body
        early["reviewDate"] = "2025-12-31"
        let before = try await call(.POST, "/api/medication/create", as: w.admin.token, body: early)
        XCTAssertEqual(before.status, 400, before.text)
        XCTAssertEqual(before.errors["reviewDate"], "must be on or after startDate")
        let moved = try await call(.PUT, "/api/medication/\(medicationId)", as: w.admin.token, body: ["startDate": "2026-07-01"])
        XCTAssertEqual(moved.status, 400, "the stored review date would come before the new start")
        let dose = try await call(.PUT, "/api/medication/\(medicationId)", as: w.admin.token, body: ["dose": "20mg"])
        XCTAssertEqual(dose.status, 200, dose.text)
        XCTAssertEqual(dose.data["dose"] as? String, "20mg")

        let stopped = try await call(.DELETE, "/api/medication/\(medicationId)", as: w.admin.token)
        XCTAssertEqual(stopped.status, 200, stopped.text)
        XCTAssertEqual(stopped.data["status"] as? String, "stopped")
        let stopDate = try XCTUnwrap(stopped.data["stopDate"] as? String)
        XCTAssertEqual(stopDate.count, 10)

        // One truth, two views: the profile's allergies, set here or there.
        let set = try await call(.PUT, "/api/medication/client/\(id)", as: w.admin.token,
                                 body: ["allergies": ["Peanuts", "Penicillin"], "medicalHistory": "Asthma as a child"])
        XCTAssertEqual(set.status, 200, set.text)
        let details = try await call(.GET, "/api/user/clientDetails/\(id)", as: w.admin.token)
        let medical = try XCTUnwrap(details.data["medicalInfo"] as? [String: Any])
        XCTAssertEqual(medical["allergies"] as? [String], ["Peanuts", "Penicillin"])
        _ = try await call(.PUT, "/api/user/clientUpdate/\(id)", as: w.admin.token, body: ["medicalInfo": ["allergies": ["Latex"]]])
        let read = try await call(.GET, "/api/medication/client/\(id)", as: w.coordinator.token)
        XCTAssertEqual(read.status, 200, read.text)
        XCTAssertEqual(read.data["allergies"] as? [String], ["Latex"])
        XCTAssertEqual(read.data["medicalHistory"] as? String, "Asthma as a child")
        XCTAssertEqual((read.data["medications"] as? [Any])?.count, 0)
        let kept = try XCTUnwrap((read.data["stopped"] as? [[String: Any]])?.first)
        XCTAssertEqual(kept["stopDate"] as? String, stopDate)
        XCTAssertEqual(kept["dose"] as? String, "20mg")
        let planManager = try await call(.GET, "/api/medication/client/\(id)", as: w.planManager.token)
        XCTAssertEqual(planManager.status, 403, "a plan manager does not read medical information")
        let records = try await auditRecords(w, id)
        XCTAssertTrue(records.contains { ($0["sections"] as? [String]) == ["medications"] && ($0["userId"] as? String) == w.coordinator.id
                                          && ($0["route"] as? String) == "GET /api/medication/client/:clientId" })
    }

    // MARK: Appointments

    func book(_ w: World, _ client: String, carer: String, date: String, from: String, to: String,
              as token: String? = nil) async throws -> Reply {
        try await call(.POST, "/api/appointment/create", as: token ?? w.admin.token, body: [
            "clientId": client, "healthCarerId": carer, "date": date, "startTime": from, "endTime": to, "serviceType": "Support Work",
        ])
    }

    func testAppointmentsInTheCompanysTimeZoneAndNoDoubleBooking() async throws {
        let w = try await world()
        let id = try await client(w)
        let booked = try await book(w, id, carer: w.carer.id, date: "2026-01-15", from: "09:00", to: "17:00")
        XCTAssertEqual(booked.status, 201, booked.text)
        XCTAssertEqual(booked.data["date"] as? String, "2026-01-15")
        XCTAssertEqual(booked.data["startTime"] as? String, "09:00")
        XCTAssertEqual((booked.data["healthCarer"] as? [String: Any])?["name"] as? String, "Hal Carer")
        let appointmentId = try XCTUnwrap(booked.data["id"] as? String)

        // Stored in UTC: Sydney is UTC+11 in January; shown in the company's zone.
        let stack = try await Self.shared.stack()
        let search = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        let startsAt = try await search.query("SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM care_appointments WHERE id = $1",
                                              [UUID(uuidString: appointmentId)!])[0].decode(0, as: String.self)
        XCTAssertEqual(startsAt, "2026-01-14 22:00")
        // Another company's zone is its own: UTC there, so 09:00 is 09:00Z.
        let utc = try await world()
        XCTAssertThrowsError(try stack.clientctl(["company", "time-zone", utc.company, "Mars/Olympus"],
                                                 environment: ["DATABASE_URL": stack.gatewayDatabase]), "not a time zone")
        let set = try stack.clientctl(["company", "time-zone", utc.company, "UTC"], environment: ["DATABASE_URL": stack.gatewayDatabase])
        XCTAssertTrue(set.contains("time zone UTC"), set)
        let utcClient = try await client(utc)
        let utcBooked = try await book(utc, utcClient, carer: utc.carer.id, date: "2026-01-15", from: "09:00", to: "10:00")
        XCTAssertEqual(utcBooked.status, 201, utcBooked.text)
        let utcStart = try await search.query("SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM care_appointments WHERE id = $1",
                                              [UUID(uuidString: try XCTUnwrap(utcBooked.data["id"] as? String))!])[0].decode(0, as: String.self)
        XCTAssertEqual(utcStart, "2026-01-15 09:00")
        let utcList = try await call(.GET, "/api/appointment/appointmentListsClient/\(utcClient)", as: utc.admin.token)
        XCTAssertEqual(utcList.list.first?["startTime"] as? String, "09:00")

        // One carer, one place at a time: overlapping is 409 (the same client or another),
        // touching is fine, another carer is fine, a cancelled appointment frees the time.
        let other = try await client(w)
        let overlap = try await book(w, other, carer: w.carer.id, date: "2026-01-15", from: "16:55", to: "18:00")
        XCTAssertEqual(overlap.status, 409, overlap.text)
        XCTAssertEqual(overlap.json["message"] as? String, "The health carer is already booked at an overlapping time")
        let sameClient = try await book(w, id, carer: w.carer.id, date: "2026-01-15", from: "08:00", to: "09:05")
        XCTAssertEqual(sameClient.status, 409, sameClient.text)
        let touching = try await book(w, other, carer: w.carer.id, date: "2026-01-15", from: "17:00", to: "18:00")
        XCTAssertEqual(touching.status, 201, touching.text)
        let otherCarer = try await book(w, other, carer: w.otherCarer.id, date: "2026-01-15", from: "09:00", to: "10:00")
        XCTAssertEqual(otherCarer.status, 201, otherCarer.text)
        let cancel = try await call(.PUT, "/api/appointment/\(appointmentId)", as: w.admin.token, body: ["status": "cancelled"])
        XCTAssertEqual(cancel.status, 200, cancel.text)
        let freed = try await book(w, other, carer: w.carer.id, date: "2026-01-15", from: "10:00", to: "11:00")
        XCTAssertEqual(freed.status, 201, freed.text)
        let reschedule = try await call(.PUT, "/api/appointment/\(appointmentId)", as: w.admin.token,
                                        body: ["status": "scheduled", "startTime": "09:30", "endTime": "10:30"])
        XCTAssertEqual(reschedule.status, 409, "rescheduled into the carer's 10:00 booking")
        let moved = try await call(.PUT, "/api/appointment/\(appointmentId)", as: w.admin.token,
                                   body: ["status": "scheduled", "date": "2026-01-16", "startTime": "09:30", "endTime": "10:30"])
        XCTAssertEqual(moved.status, 200, moved.text)
        XCTAssertEqual(moved.data["date"] as? String, "2026-01-16")
        XCTAssertEqual(moved.data["endTime"] as? String, "10:30")

        // The rules.
        let notCarer = try await book(w, id, carer: w.sales.id, date: "2026-02-01", from: "09:00", to: "10:00")
        XCTAssertEqual(notCarer.errors["healthCarerId"], "must be a user of the client's company with the health-carer role")
        let badTimes = try await book(w, id, carer: w.carer.id, date: "2026-02-01", from: "09:07", to: "09:00")
        XCTAssertEqual(Set(badTimes.errors.keys), ["startTime"])
        let backwards = try await book(w, id, carer: w.carer.id, date: "2026-02-01", from: "10:00", to: "09:00")
        XCTAssertEqual(backwards.errors["endTime"], "must be at most 12 hours after startTime", "ends at 09:00 the next day")
        // 02:30 on 4 October 2026 does not exist in Sydney (clocks go from 02:00 to 03:00).
        let gap = try await book(w, id, carer: w.carer.id, date: "2026-10-04", from: "02:30", to: "04:00")
        XCTAssertEqual(gap.status, 400, gap.text)
        XCTAssertNotNil(gap.errors["startTime"])

        // Filters: status and dates (both included).
        let january = try await call(.GET, "/api/appointment/appointmentListsClient/\(other)?startDate=2026-01-15&endDate=2026-01-15",
                                     as: w.admin.token)
        XCTAssertEqual(january.list.count, 3, january.text)
        let none = try await call(.GET, "/api/appointment/appointmentListsClient/\(other)?startDate=2026-01-16", as: w.admin.token)
        XCTAssertEqual(none.list.count, 0)
        let cancelled = try await call(.GET, "/api/appointment/appointmentListsClient/\(id)?status=cancelled", as: w.admin.token)
        XCTAssertEqual(cancelled.list.count, 0)
        let invalid = try await call(.GET, "/api/appointment/appointmentListsClient/\(id)?status=done&startDate=x", as: w.admin.token)
        XCTAssertEqual(Set(invalid.errors.keys), ["status", "startDate"])
        await search.close()
    }

    func testHundredParallelBookingsOfOneSlotGiveExactlyOne201() async throws {
        let w = try await world()
        var clients: [String] = []
        for _ in 0..<10 { clients.append(try await client(w)) }
        let token = w.admin.token
        let carer = w.carer.id
        let url = try await Self.shared.stack().gateway.baseURL + "/api/appointment/create"
        let http = self.http
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<100 {
                let client = clients[index % clients.count]
                // Ten clients, ten bookings each: different streams race on the carer's
                // slot claims, one stream's bookings on its version too.
                let (from, to) = index % 2 == 0 ? ("14:00", "15:00") : ("14:30", "15:30")
                let body = Array(try JSONSerialization.data(withJSONObject: [
                    "clientId": client, "healthCarerId": carer, "date": "2026-03-02", "startTime": from, "endTime": to,
                    "serviceType": "Support Work",
                ]))
                group.addTask {
                    try await http.execute(HTTPClientRequest(method: .POST, url: url, headers: [
                        "Authorization": "Bearer \(token)", "Content-Type": "application/json",
                    ], body: body)).status.code
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(statuses.filter { $0 == 201 }.count, 1, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 409 }.count, 99, "\(statuses)")
        let carerClients = try await call(.GET, "/api/appointment/getClientList/healthCarerId/\(carer)", as: w.admin.token)
        XCTAssertEqual(carerClients.list.map { $0["appointmentCount"] as? Int }, [1])
    }

    // MARK: A health carer's access

    func testACarersAccessFollowsItsAppointments() async throws {
        let w = try await world()
        let id = try await client(w)
        let details = "/api/user/clientDetails/\(id)"
        let before = try await call(.GET, details, as: w.carer.token)
        XCTAssertEqual(before.status, 403, before.text)
        let documentsBefore = try await call(.GET, "/api/document/client/\(id)", as: w.carer.token)
        XCTAssertEqual(documentsBefore.status, 403, documentsBefore.text)

        // Completed long ago: outside the window, no access.
        let old = try await book(w, id, carer: w.carer.id, date: Self.day(-20), from: "09:00", to: "10:00")
        XCTAssertEqual(old.status, 201, old.text)
        let oldId = try XCTUnwrap(old.data["id"] as? String)
        _ = try await call(.PUT, "/api/appointment/\(oldId)", as: w.admin.token, body: ["status": "completed"])
        let stillNot = try await call(.GET, details, as: w.carer.token)
        XCTAssertEqual(stillNot.status, 403, "a visit completed 20 days ago gives no access")

        // Scheduled: access, list included.
        let next = try await book(w, id, carer: w.carer.id, date: Self.day(7), from: "09:00", to: "10:00")
        let nextId = try XCTUnwrap(next.data["id"] as? String)
        let during = try await call(.GET, details, as: w.carer.token)
        XCTAssertEqual(during.status, 200, during.text)
        let list = try await call(.GET, "/api/user/client/list", as: w.carer.token)
        XCTAssertEqual((list.data["clients"] as? [[String: Any]])?.map { $0["id"] as? String }, [id])
        let documents = try await call(.GET, "/api/document/client/\(id)", as: w.carer.token)
        XCTAssertEqual(documents.status, 200, documents.text)
        let own = try await call(.GET, "/api/appointment/getClientList/healthCarerId/\(w.carer.id)", as: w.carer.token)
        XCTAssertEqual(own.status, 200, own.text)
        XCTAssertEqual(own.list.first?["id"] as? String, id)
        XCTAssertEqual(own.list.first?["appointmentCount"] as? Int, 2)
        XCTAssertEqual(own.list.first?["firstName"] as? String, "Jane")
        let others = try await call(.GET, "/api/appointment/getClientList/healthCarerId/\(w.otherCarer.id)", as: w.carer.token)
        XCTAssertEqual(others.status, 403, "one carer does not list another's clients")
        let theOther = try await call(.GET, details, as: w.otherCarer.token)
        XCTAssertEqual(theOther.status, 403, "another carer's appointments give it nothing")

        // Cancelled: access ends. Completed recently: within the window.
        _ = try await call(.PUT, "/api/appointment/\(nextId)", as: w.admin.token, body: ["status": "cancelled"])
        let cancelled = try await call(.GET, details, as: w.carer.token)
        XCTAssertEqual(cancelled.status, 403, cancelled.text)
        let recent = try await book(w, id, carer: w.carer.id, date: Self.day(-3), from: "09:00", to: "10:00")
        let recentId = try XCTUnwrap(recent.data["id"] as? String)
        _ = try await call(.PUT, "/api/appointment/\(recentId)", as: w.admin.token, body: ["status": "completed"])
        let afterVisit = try await call(.GET, details, as: w.carer.token)
        XCTAssertEqual(afterVisit.status, 200, "a visit completed 3 days ago is within the 14-day window")
        let medications = try await call(.GET, "/api/medication/client/\(id)", as: w.carer.token)
        XCTAssertEqual(medications.status, 200, "a carer reads medical information of a client it attends")
        let booking = try await book(w, id, carer: w.carer.id, date: Self.day(8), from: "09:00", to: "10:00", as: w.carer.token)
        XCTAssertEqual(booking.status, 403, "a carer does not book")

        // The stakeholder list is the coordinator's own clients, not the carer's.
        let coordinated = try await client(w, coordinator: w.coordinator.id)
        let stakeholder = try await call(.GET, "/api/user/stakeholder/clientList", as: w.coordinator.token)
        XCTAssertEqual((stakeholder.data["clients"] as? [[String: Any]])?.map { $0["id"] as? String }, [coordinated])
        let carerStakeholder = try await call(.GET, "/api/user/stakeholder/clientList", as: w.carer.token)
        XCTAssertEqual((carerStakeholder.data["clients"] as? [Any])?.count, 0)

        // The reads' access records: denied before, allowed during, each with its sections.
        let records = try await auditRecords(w, id).filter { ($0["userId"] as? String) == w.carer.id }
        let summary = records.map { "\($0["route"] as? String ?? "") \($0["outcome"] as? String ?? "") \(($0["sections"] as? [String]) ?? [])" }
        XCTAssertEqual(summary, [
            "GET /api/user/clientDetails/:id denied []",
            "GET /api/document/client/:clientId denied []",
            "GET /api/user/clientDetails/:id denied []",
            "GET /api/user/clientDetails/:id allowed [\"personalInfo\", \"address\", \"ndisDetails\", \"medicalInfo\", \"emergencyContacts\", \"goals\"]",
            "GET /api/user/client/list allowed [\"list\"]",
            "GET /api/document/client/:clientId allowed [\"documents\"]",
            "GET /api/appointment/getClientList/healthCarerId/:healthCarerId allowed [\"list\"]",
            "GET /api/user/clientDetails/:id denied []",
            "GET /api/user/clientDetails/:id allowed [\"personalInfo\", \"address\", \"ndisDetails\", \"medicalInfo\", \"emergencyContacts\", \"goals\"]",
            "GET /api/medication/client/:clientId allowed [\"medications\"]",
        ])
    }

    /// The care document routes answer under the care access rules and leave access records:
    /// a coordinator's read of its client's documents is recorded, another coordinator's is a
    /// 403 recorded as denied. (Before, document reads left no record at all.)
    func testDocumentReadsLeaveAccessRecords() async throws {
        let w = try await world()
        let id = try await client(w, coordinator: w.coordinator.id)
        let own = try await call(.GET, "/api/document/client/\(id)", as: w.coordinator.token)
        XCTAssertEqual(own.status, 200, own.text)
        let other = try await call(.GET, "/api/document/client/\(id)", as: w.carer.token)
        XCTAssertEqual(other.status, 403, other.text)
        let records = try await auditRecords(w, id).filter { ($0["route"] as? String) == "GET /api/document/client/:clientId" }
        XCTAssertEqual(records.map { "\($0["userId"] as? String ?? "") \($0["outcome"] as? String ?? "") \(($0["sections"] as? [String]) ?? [])" },
                       ["\(w.coordinator.id) allowed [\"documents\"]", "\(w.carer.id) denied []"])
    }

    /// The date `offset` days from today in Sydney.
    static func day(_ offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Australia/Sydney")!
        let date = calendar.date(byAdding: .day, value: offset, to: Date())!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    // MARK: Rebuild

    func testARebuildOfTheCareReadModelEndsIdenticalToTheLiveOne() async throws {
        let w = try await world()
        for index in 0..<5 {
            let id = try await client(w)
            let goal = try await call(.POST, "/api/goal/create", as: w.admin.token, body: ["clientId": id, "title": "Goal \(index)"])
            let goalId = try XCTUnwrap(goal.data["id"] as? String)
            _ = try await call(.POST, "/api/goal/\(goalId)/tasks", as: w.admin.token, body: ["title": "Task"])
            _ = try await call(.PUT, "/api/goal/\(goalId)", as: w.admin.token, body: ["status": "achieved"])
            _ = try await call(.POST, "/api/medication/create", as: w.admin.token, body: [
                "clientId": id, "medicineName": "M", "dose": "1", "frequency": "Daily", "startDate": "2026-01-01"])
            let booked = try await book(w, id, carer: w.carer.id, date: "2026-04-0\(index + 1)", from: "09:00", to: "10:00")
            XCTAssertEqual(booked.status, 201, booked.text)
            let appointmentId = try XCTUnwrap(booked.data["id"] as? String)
            _ = try await call(.PUT, "/api/appointment/\(appointmentId)", as: w.admin.token, body: ["startTime": "08:00"])
        }
        let stack = try await Self.shared.stack()
        let search = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        func checksum() async throws -> String {
            try await search.query("""
                SELECT md5(coalesce((SELECT string_agg(id::text || care_records::text, ',' ORDER BY id) FROM clients
                                     WHERE care_records IS NOT NULL), '')
                           || coalesce((SELECT string_agg(a::text, ',' ORDER BY id) FROM care_appointments a), '')
                           || coalesce((SELECT string_agg(s::text, ',' ORDER BY carer_id, client_id) FROM care_carer_clients s), ''))
                """)[0].decode(0, as: String.self)
        }
        let live = try await checksum()
        let rows = try await search.query("SELECT count(*) FROM care_appointments")[0].decode(0, as: Int64.self)
        XCTAssertGreaterThanOrEqual(rows, 5)
        let listRows = try await search.query("SELECT count(*) FROM care_carer_clients")[0].decode(0, as: Int64.self)
        XCTAssertGreaterThanOrEqual(listRows, 5, "the carers' lists are part of what is compared")
        let output = try stack.clientctl(["rebuild", "search"], environment: ["SEARCH_SERVICE_URL": stack.searchProjection.baseURL,
                                                                             "INTERNAL_TOKEN": stack.internalToken])
        XCTAssertTrue(output.contains("rebuild of search done"), output)
        let rebuilt = try await checksum()
        XCTAssertEqual(rebuilt, live)
        await search.close()
    }
}
