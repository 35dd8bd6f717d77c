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

    func testTimesAreOnFiveMinuteMarksWithinOneDay() {
        for text in ["00:00", "09:05", "23:55"] { XCTAssertTrue(CareAppointmentTime.isTime(text), text) }
        for text in ["24:00", "9:00", "09:07", "09:60", "0900", "09:0a", "٠٩:٠٠"] { XCTAssertFalse(CareAppointmentTime.isTime(text), text) }
        XCTAssertNil(CareAppointmentTime.instant(date: "2026-02-30", time: "09:00", in: sydney))
    }
}
