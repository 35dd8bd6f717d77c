import Foundation
import Postgres
import XCTest

/// Overnight appointments: an `endTime` before the `startTime` ends on the next local day, at
/// most 12 real hours later; the carer's slots cover the whole night; the list shows and
/// selects them by the start's date; daylight-saving nights in Sydney count real time.
extension CareRecordsAPITests {
    /// The appointment's stored instants as `YYYY-MM-DD HH:MM` UTC, start and end.
    private func storedUTC(_ id: Any?) async throws -> String {
        let stack = try await Self.shared.stack()
        let search = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        let text = try await search.query("""
            SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' ' || to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
            FROM care_appointments WHERE id = $1
            """, [UUID(uuidString: try XCTUnwrap(id as? String))!])[0].decode(0, as: String.self)
        await search.close()
        return text
    }

    func testAnOvernightShiftIsBookedListedByItsStartAndHoldsTheCarerAllNight() async throws {
        let w = try await world()
        let id = try await client(w)
        let other = try await client(w)
        let sleepover = try await book(w, id, carer: w.carer.id, date: "2026-03-10", from: "22:00", to: "06:00")
        XCTAssertEqual(sleepover.status, 201, sleepover.text)
        XCTAssertEqual(sleepover.data["date"] as? String, "2026-03-10", "the start's date")
        XCTAssertEqual(sleepover.data["startTime"] as? String, "22:00")
        XCTAssertEqual(sleepover.data["endTime"] as? String, "06:00")
        let stored = try await storedUTC(sleepover.data["id"])
        XCTAssertEqual(stored, "2026-03-10 11:00 2026-03-10 19:00", "22:00 to 06:00 AEDT, eight hours")

        // The carer is held all night, across midnight, for any client; touching is fine.
        for (from, to) in [("05:00", "07:00"), ("23:00", "01:00"), ("00:00", "00:30")] {
            let date = from == "23:00" ? "2026-03-10" : "2026-03-11"
            let overlap = try await book(w, other, carer: w.carer.id, date: date, from: from, to: to)
            XCTAssertEqual(overlap.status, 409, "\(date) \(from)-\(to): \(overlap.text)")
        }
        let before = try await book(w, other, carer: w.carer.id, date: "2026-03-10", from: "21:00", to: "22:00")
        XCTAssertEqual(before.status, 201, before.text)
        let after = try await book(w, other, carer: w.carer.id, date: "2026-03-11", from: "06:00", to: "07:00")
        XCTAssertEqual(after.status, 201, after.text)

        // Too long, or no length at all.
        let thirteen = try await book(w, id, carer: w.otherCarer.id, date: "2026-03-12", from: "19:00", to: "08:00")
        XCTAssertEqual(thirteen.status, 400, thirteen.text)
        XCTAssertEqual(thirteen.errors["endTime"], "must be at most 12 hours after startTime")
        let twelve = try await book(w, id, carer: w.otherCarer.id, date: "2026-03-12", from: "20:00", to: "08:00")
        XCTAssertEqual(twelve.status, 201, twelve.text)
        let equal = try await book(w, id, carer: w.otherCarer.id, date: "2026-03-20", from: "09:00", to: "09:00")
        XCTAssertEqual(equal.status, 400, equal.text)
        XCTAssertNotNil(equal.errors["endTime"])

        // Listed by the start's local date: the 10th's night is the 10th's, not the 11th's.
        let list = "/api/appointment/appointmentListsClient/\(id)"
        let tenth = try await call(.GET, list + "?startDate=2026-03-10&endDate=2026-03-10", as: w.admin.token)
        XCTAssertEqual(tenth.list.map { "\($0["date"] as? String ?? "") \($0["startTime"] as? String ?? "")-\($0["endTime"] as? String ?? "")" },
                       ["2026-03-10 22:00-06:00"])
        let eleventh = try await call(.GET, list + "?startDate=2026-03-11&endDate=2026-03-11", as: w.admin.token)
        XCTAssertEqual(eleventh.list.count, 0, eleventh.text)
        let march = try await call(.GET, list + "?startDate=2026-03-01&endDate=2026-03-31", as: w.admin.token)
        XCTAssertEqual(march.list.map { $0["date"] as? String }, ["2026-03-10", "2026-03-12"])

        // A reschedule follows the same rule: into an overnight shift, and not past 12 hours.
        let dayShift = try await book(w, id, carer: w.otherCarer.id, date: "2026-03-14", from: "09:00", to: "17:00")
        let dayId = try XCTUnwrap(dayShift.data["id"] as? String)
        let overnight = try await call(.PUT, "/api/appointment/\(dayId)", as: w.admin.token, body: ["startTime": "23:00", "endTime": "07:00"])
        XCTAssertEqual(overnight.status, 200, overnight.text)
        XCTAssertEqual(overnight.data["date"] as? String, "2026-03-14")
        XCTAssertEqual(overnight.data["endTime"] as? String, "07:00")
        let movedStored = try await storedUTC(dayId)
        XCTAssertEqual(movedStored, "2026-03-14 12:00 2026-03-14 20:00")
        let tooLong = try await call(.PUT, "/api/appointment/\(dayId)", as: w.admin.token, body: ["startTime": "18:00"])
        XCTAssertEqual(tooLong.errors["endTime"], "must be at most 12 hours after startTime", "18:00 to 07:00 is 13 hours")
        let endOnly = try await call(.PUT, "/api/appointment/\(dayId)", as: w.admin.token, body: ["endTime": "05:00"])
        XCTAssertEqual(endOnly.status, 200, endOnly.text)
        let endStored = try await storedUTC(dayId)
        XCTAssertEqual(endStored, "2026-03-14 12:00 2026-03-14 18:00", "the start stays; the end moves within the night")
    }

    func testOvernightShiftsOnDaylightSavingNightsInSydney() async throws {
        let w = try await world()
        let id = try await client(w)
        // 5 April 2026: at 03:00 AEDT the clocks go back to 02:00 AEST.
        let autumn = try await book(w, id, carer: w.carer.id, date: "2026-04-04", from: "22:00", to: "06:00")
        XCTAssertEqual(autumn.status, 201, autumn.text)
        let autumnStored = try await storedUTC(autumn.data["id"])
        XCTAssertEqual(autumnStored, "2026-04-04 11:00 2026-04-04 20:00", "nine real hours")
        let autumnLong = try await book(w, id, carer: w.otherCarer.id, date: "2026-04-04", from: "20:00", to: "08:00")
        XCTAssertEqual(autumnLong.errors["endTime"], "must be at most 12 hours after startTime", "13 real hours: \(autumnLong.text)")
        let repeated = try await book(w, id, carer: w.otherCarer.id, date: "2026-04-04", from: "23:00", to: "02:30")
        XCTAssertEqual(repeated.status, 201, repeated.text)
        let repeatedStored = try await storedUTC(repeated.data["id"])
        XCTAssertEqual(repeatedStored, "2026-04-04 12:00 2026-04-04 15:30", "the repeated 02:30 is its first")
        XCTAssertEqual(repeated.data["endTime"] as? String, "02:30")

        // 4 October 2026: at 02:00 AEST the clocks go forward to 03:00 AEDT.
        let spring = try await book(w, id, carer: w.carer.id, date: "2026-10-03", from: "20:00", to: "08:00")
        XCTAssertEqual(spring.status, 201, "12 hours on the clock, 11 real ones: \(spring.text)")
        let springStored = try await storedUTC(spring.data["id"])
        XCTAssertEqual(springStored, "2026-10-03 10:00 2026-10-03 21:00")
        let skipped = try await book(w, id, carer: w.otherCarer.id, date: "2026-10-03", from: "22:00", to: "02:30")
        XCTAssertEqual(skipped.status, 400, skipped.text)
        XCTAssertNotNil(skipped.errors["endTime"], "02:30 on the 4th does not exist")
        let listed = try await call(.GET, "/api/appointment/appointmentListsClient/\(id)?startDate=2026-10-03&endDate=2026-10-03",
                                    as: w.admin.token)
        XCTAssertEqual(listed.list.map { "\($0["date"] as? String ?? "") \($0["startTime"] as? String ?? "")-\($0["endTime"] as? String ?? "")" },
                       ["2026-10-03 20:00-08:00"])
    }
}
