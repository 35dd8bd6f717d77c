import ClientDomain
import Foundation
import XCTest
@testable import Gateway

/// Appointments' local dates and times in the company's time zone and the UTC instants they
/// name, daylight saving included.
final class CareAppointmentTimeTests: XCTestCase {
    let sydney = TimeZone(identifier: "Australia/Sydney")!

    func testLocalTimesConvertBothWaysAcrossDaylightSaving() throws {
        let summer = try XCTUnwrap(CareAppointmentTime.instant(date: "2026-01-15", time: "09:00", in: sydney))
        XCTAssertEqual(Timestamp.format(summer), "2026-01-14T22:00:00.000Z", "AEDT, UTC+11")
        let winter = try XCTUnwrap(CareAppointmentTime.instant(date: "2026-07-15", time: "09:00", in: sydney))
        XCTAssertEqual(Timestamp.format(winter), "2026-07-14T23:00:00.000Z", "AEST, UTC+10")
        XCTAssertEqual(CareAppointmentTime.local(summer, in: sydney).date, "2026-01-15")
        XCTAssertEqual(CareAppointmentTime.local(winter, in: sydney).time, "09:00")
        XCTAssertNil(CareAppointmentTime.instant(date: "2026-10-04", time: "02:30", in: sydney), "skipped when clocks go forward")
        let repeated = try XCTUnwrap(CareAppointmentTime.instant(date: "2026-04-05", time: "02:30", in: sydney))
        XCTAssertEqual(Timestamp.format(repeated), "2026-04-04T15:30:00.000Z", "the first of the repeated hour (AEDT)")
        let day = try XCTUnwrap(CareAppointmentTime.startOfDay("2026-10-04", in: sydney))
        let next = try XCTUnwrap(CareAppointmentTime.endOfDay("2026-10-04", in: sydney))
        XCTAssertEqual(next.timeIntervalSince(day), 23 * 3600, "the day the clocks go forward has 23 hours")
    }

    /// The span's instants as UTC text, or its issues as `field: message`.
    private func span(_ date: String, _ start: String, _ end: String, in zone: TimeZone? = nil) -> String {
        var issues: [CareIssue] = []
        guard let span = CareAppointmentTime.span(date: date, startTime: start, endTime: end, in: zone ?? sydney, issues: &issues) else {
            return issues.map { "\($0.path): \($0.message)" }.joined(separator: "; ")
        }
        return Timestamp.format(span.startsAt) + " " + Timestamp.format(span.endsAt)
    }

    func testAnEndBeforeTheStartEndsOnTheNextDay() {
        XCTAssertEqual(span("2026-03-10", "09:00", "17:00"), "2026-03-09T22:00:00.000Z 2026-03-10T06:00:00.000Z")
        XCTAssertEqual(span("2026-03-10", "22:00", "06:00"), "2026-03-10T11:00:00.000Z 2026-03-10T19:00:00.000Z",
                       "a sleepover: 22:00 to 06:00 the next morning")
        XCTAssertEqual(span("2026-12-31", "23:00", "00:00"), "2026-12-31T12:00:00.000Z 2026-12-31T13:00:00.000Z",
                       "ends at midnight, the next year")
        XCTAssertEqual(span("2028-02-28", "23:00", "01:00"), "2028-02-28T12:00:00.000Z 2028-02-28T14:00:00.000Z")
        XCTAssertEqual(CareAppointmentTime.nextDate(after: "2028-02-28"), "2028-02-29")
        XCTAssertEqual(CareAppointmentTime.nextDate(after: "2026-02-28"), "2026-03-01")
        XCTAssertEqual(span("2026-03-10", "20:00", "08:00"), "2026-03-10T09:00:00.000Z 2026-03-10T21:00:00.000Z", "12 hours")
        XCTAssertEqual(span("2026-03-10", "19:00", "08:00"), "endTime: must be at most 12 hours after startTime", "13 hours")
        XCTAssertEqual(span("2026-03-10", "10:00", "09:00"), "endTime: must be at most 12 hours after startTime", "23 hours")
        XCTAssertEqual(span("2026-03-10", "09:00", "09:00"), "endTime: must not equal startTime (an earlier endTime ends on the next day)")
    }

    func testOvernightAppointmentsAcrossDaylightSavingCountRealTime() {
        // 5 April 2026, Sydney: at 03:00 AEDT the clocks go back to 02:00 AEST (a 25-hour night).
        XCTAssertEqual(span("2026-04-04", "22:00", "06:00"), "2026-04-04T11:00:00.000Z 2026-04-04T20:00:00.000Z", "9 real hours")
        XCTAssertEqual(span("2026-04-04", "20:00", "08:00"), "endTime: must be at most 12 hours after startTime",
                       "12 hours on the clock are 13 real hours")
        XCTAssertEqual(span("2026-04-04", "23:00", "02:30"), "2026-04-04T12:00:00.000Z 2026-04-04T15:30:00.000Z",
                       "the repeated 02:30 is its first (AEDT)")
        // 4 October 2026, Sydney: at 02:00 AEST the clocks go forward to 03:00 AEDT (a 23-hour night).
        XCTAssertEqual(span("2026-10-03", "20:00", "08:00"), "2026-10-03T10:00:00.000Z 2026-10-03T21:00:00.000Z",
                       "12 hours on the clock are 11 real hours")
        XCTAssertEqual(span("2026-10-03", "22:00", "02:30"), "endTime: must be a time that exists on its date in the company's time zone",
                       "02:30 on the 4th is skipped")
        XCTAssertEqual(span("2026-10-03", "23:30", "03:00"), "2026-10-03T13:30:00.000Z 2026-10-03T16:00:00.000Z", "2.5 real hours")
    }

    func testTimesAreOnFiveMinuteMarksWithinOneDay() {
        for text in ["00:00", "09:05", "23:55"] { XCTAssertTrue(CareAppointmentTime.isTime(text), text) }
        for text in ["24:00", "9:00", "09:07", "09:60", "0900", "09:0a", "٠٩:٠٠"] { XCTAssertFalse(CareAppointmentTime.isTime(text), text) }
        XCTAssertNil(CareAppointmentTime.instant(date: "2026-02-30", time: "09:00", in: sydney))
    }
}
