import Foundation
import Postgres
import XCTest

/// The company's time zone over HTTP (`PATCH /api/companies/:id`): who may change it, what it
/// refuses (changing nothing), and that appointments show in the new zone at once through the
/// gateway that made the change.
extension CareRecordsAPITests {
    /// The company as `GET /api/companies` shows it to the super-admin.
    private func company(_ w: World, _ id: String) async throws -> [String: Any] {
        let reply = try await call(.GET, "/api/companies", as: w.root)
        XCTAssertEqual(reply.status, 200, reply.text)
        let companies = reply.json["data"] as? [[String: Any]] ?? []
        return try XCTUnwrap(companies.first { $0["id"] as? String == id })
    }

    func testACompanysAdminSetsItsTimeZoneAndAppointmentsShowInItAtOnce() async throws {
        let w = try await world()
        let id = try await client(w)
        let before = try await company(w, w.company)
        XCTAssertEqual(before["timeZone"] as? String, "Australia/Sydney", "the default")

        // Booked and listed in Sydney's time, so this gateway holds Sydney for the company.
        let booked = try await book(w, id, carer: w.carer.id, date: "2026-01-15", from: "09:00", to: "10:00")
        XCTAssertEqual(booked.status, 201, booked.text)
        let sydney = try await call(.GET, "/api/appointment/appointmentListsClient/\(id)", as: w.admin.token)
        XCTAssertEqual(sydney.list.first?["startTime"] as? String, "09:00")

        let patched = try await call(.PATCH, "/api/companies/\(w.company)", as: w.admin.token, body: ["timeZone": "UTC"])
        XCTAssertEqual(patched.status, 200, patched.text)
        XCTAssertEqual(patched.data["timeZone"] as? String, "UTC")
        XCTAssertEqual(patched.data["name"] as? String, before["name"] as? String, "a name left out stays")

        // The stored instant (22:00Z the day before) now shows in UTC, at once, not within the
        // zone cache's minute; a new booking's times are UTC's.
        let utc = try await call(.GET, "/api/appointment/appointmentListsClient/\(id)", as: w.admin.token)
        XCTAssertEqual(utc.list.first?["date"] as? String, "2026-01-14", utc.text)
        XCTAssertEqual(utc.list.first?["startTime"] as? String, "22:00")
        XCTAssertEqual(utc.list.first?["endTime"] as? String, "23:00")
        let next = try await book(w, id, carer: w.carer.id, date: "2026-01-20", from: "09:00", to: "10:00")
        XCTAssertEqual(next.status, 201, next.text)
        let stack = try await Self.shared.stack()
        let search = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        let startsAt = try await search.query(
            "SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM care_appointments WHERE id = $1",
            [UUID(uuidString: try XCTUnwrap(next.data["id"] as? String))!])[0].decode(0, as: String.self)
        XCTAssertEqual(startsAt, "2026-01-20 09:00")
        await search.close()
        let listed = try await call(.GET, "/api/appointment/appointmentListsClient/\(id)?startDate=2026-01-20", as: w.admin.token)
        XCTAssertEqual(listed.list.map { $0["startTime"] as? String }, ["09:00"])

        // The company views show the zone: the list, and a new company (the default).
        let created = try await call(.POST, "/api/companies", as: w.root, body: ["name": "Zone \(UUID().uuidString.prefix(8))"])
        XCTAssertEqual(created.data["timeZone"] as? String, "Australia/Sydney")
        let after = try await company(w, w.company)
        XCTAssertEqual(after["timeZone"] as? String, "UTC")
    }

    func testWhoMayChangeACompanysSettings() async throws {
        let w = try await world()
        let other = try await world()
        let path = "/api/companies/\(w.company)"
        for person in [w.coordinator, w.planManager, w.carer, w.sales] {
            let refused = try await call(.PATCH, path, as: person.token, body: ["timeZone": "Australia/Perth"])
            XCTAssertEqual(refused.status, 403, "\(person.name): \(refused.text)")
        }
        let otherAdmin = try await call(.PATCH, path, as: other.admin.token, body: ["timeZone": "Australia/Perth"])
        XCTAssertEqual(otherAdmin.status, 404, "another company's admin: as if missing")
        let missing = try await call(.PATCH, "/api/companies/\(UUID().uuidString.lowercased())", as: w.admin.token,
                                     body: ["timeZone": "Australia/Perth"])
        XCTAssertEqual(missing.status, 404, missing.text)
        let notAnId = try await call(.PATCH, "/api/companies/acme", as: w.root, body: ["timeZone": "Australia/Perth"])
        XCTAssertEqual(notAnId.status, 404, notAnId.text)
        let unchanged = try await company(w, w.company)
        XCTAssertEqual(unchanged["timeZone"] as? String, "Australia/Sydney", "no refused request changed it")

        let admin = try await call(.PATCH, path, as: w.admin.token, body: ["timeZone": "Australia/Perth"])
        XCTAssertEqual(admin.status, 200, admin.text)
        XCTAssertEqual(admin.data["timeZone"] as? String, "Australia/Perth")
        let newName = "Renamed \(UUID().uuidString.prefix(8))"
        let root = try await call(.PATCH, "/api/companies/\(other.company)", as: w.root,
                                  body: ["name": newName, "timeZone": "Australia/Darwin"])
        XCTAssertEqual(root.status, 200, "the super-admin changes any company: \(root.text)")
        XCTAssertEqual(root.data["name"] as? String, newName)
        XCTAssertEqual(root.data["timeZone"] as? String, "Australia/Darwin")
    }

    func testBadCompanySettingsAreRefusedAndChangeNothing() async throws {
        let w = try await world()
        let other = try await world()
        let path = "/api/companies/\(w.company)"
        let before = try await company(w, w.company)
        let otherCompany = try await company(w, other.company)
        let otherName = try XCTUnwrap(otherCompany["name"] as? String)
        func refused(_ body: [String: Any], _ status: Int, naming field: String, _ note: String) async throws {
            let reply = try await call(.PATCH, path, as: w.admin.token, body: body)
            XCTAssertEqual(reply.status, status, "\(note): \(reply.text)")
            let fields = (reply.json["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            if status == 400 { XCTAssertTrue(fields.contains(field), "\(note) names \(field): \(reply.text)") }
        }
        try await refused(["timeZone": "Mars/Olympus"], 400, naming: "timeZone", "an unknown zone")
        try await refused(["timeZone": "Australia/" + String(repeating: "S", count: 60)], 400, naming: "timeZone", "over 64 bytes")
        try await refused(["timeZone": ""], 400, naming: "timeZone", "empty")
        try await refused(["timeZone": NSNull()], 400, naming: "timeZone", "null")
        try await refused(["timeZone": 10], 400, naming: "timeZone", "a number")
        try await refused(["timeZone": "Australia/Sydney\u{0}"], 400, naming: "timeZone", "a NUL")
        try await refused(["name": "New name", "timeZone": "Mars/Olympus"], 400, naming: "timeZone", "a good name with a bad zone")
        try await refused(["timeZone": "UTC", "colour": "red"], 400, naming: "colour", "an unknown key")
        try await refused(["name": "   "], 400, naming: "name", "a blank name")
        try await refused(["name": otherName.uppercased(), "timeZone": "UTC"], 409, naming: "name", "another company's name")
        let after = try await company(w, w.company)
        XCTAssertEqual(after["timeZone"] as? String, before["timeZone"] as? String)
        XCTAssertEqual(after["name"] as? String, before["name"] as? String)

        // Its own name, in another case, is not taken.
        let own = try XCTUnwrap(before["name"] as? String)
        let renamed = try await call(.PATCH, path, as: w.admin.token, body: ["name": own.lowercased()])
        XCTAssertEqual(renamed.status, 200, renamed.text)
        XCTAssertEqual(renamed.data["name"] as? String, own.lowercased())
    }
}
