import ClientDomain
import Foundation
@testable import StatsReadModel
import XCTest

/// UTC days and the periods "today", "this week" (from Monday) and "this month".
final class StatsCalendarTests: XCTestCase {
    func date(_ text: String) throws -> Date { try XCTUnwrap(Timestamp.parse(text), text) }

    func testDaysAreUTCCalendarDays() throws {
        XCTAssertEqual(StatsDay(try date("1970-01-01T00:00:00Z")).daysSinceEpoch, 0)
        XCTAssertEqual(StatsDay(try date("1969-12-31T23:59:59.999Z")).daysSinceEpoch, -1)
        XCTAssertEqual(StatsDay(try date("2026-03-01T23:59:59.999Z")).text, "2026-03-01")
        XCTAssertEqual(StatsDay(try date("2026-03-02T00:00:00Z")).text, "2026-03-02")
        // An offset is a different instant: 23:30 at -05:00 is the next UTC day.
        XCTAssertEqual(StatsDay(try date("2026-03-01T23:30:00-05:00")).text, "2026-03-02")
    }

    func testCivilDatesRoundTripAcrossLeapYearsAndCenturies() throws {
        for text in ["1900-02-28", "1900-03-01", "2000-02-29", "2024-02-29", "2024-12-31", "2025-01-01", "1969-12-31",
                     "0001-01-01", "9999-12-31", "2100-03-01"] {
            let day = try XCTUnwrap(StatsDay(text: text), text)
            XCTAssertEqual(day.text, text)
        }
        XCTAssertNil(StatsDay(text: "2025-02-29"))
        XCTAssertNil(StatsDay(text: "1900-02-29"))
        XCTAssertNil(StatsDay(text: "2024-13-01"))
        XCTAssertNil(StatsDay(text: "2024-1-01"))
        XCTAssertNil(StatsDay(text: "2024-01-01T00:00:00Z"))
        XCTAssertEqual(StatsDay(text: "2000-03-01")?.daysSinceEpoch, (StatsDay(text: "2000-02-28")?.daysSinceEpoch ?? 0) + 2)
        // Every day for 30 years, one after the other: no gaps or repeats.
        var previous = try XCTUnwrap(StatsDay(text: "1995-01-01"))
        for offset in 1...(366 * 30) {
            let day = StatsDay(daysSinceEpoch: previous.daysSinceEpoch + 1)
            XCTAssertEqual(StatsDay(text: day.text), day, "offset \(offset)")
            XCTAssertGreaterThan(day.text, previous.text)
            previous = day
        }
    }

    func testWeeksStartOnMondayAndMonthsOnTheFirst() throws {
        // 2026-04-01 is a Wednesday: its week began on Monday 2026-03-30, in the month before.
        let periods = StatsPeriods(asOf: try date("2026-04-01T10:00:00Z"))
        XCTAssertEqual(periods.today.text, "2026-04-01")
        XCTAssertEqual(periods.week.lowerBound.text, "2026-03-30")
        XCTAssertEqual(periods.week.upperBound.text, "2026-04-06")
        XCTAssertEqual(periods.month.lowerBound.text, "2026-04-01")
        XCTAssertEqual(periods.month.upperBound.text, "2026-05-01")
        XCTAssertEqual(periods.earliest.text, "2026-03-30")

        // A Monday is its own week's start, a Sunday the last day of its week.
        XCTAssertEqual(StatsDay(text: "2026-03-30")?.weekStart.text, "2026-03-30")
        XCTAssertEqual(StatsDay(text: "2026-04-05")?.weekStart.text, "2026-03-30")
        XCTAssertEqual(StatsDay(text: "1970-01-01")?.weekStart.text, "1969-12-29")
        XCTAssertEqual(StatsDay(text: "1969-12-28")?.weekStart.text, "1969-12-22")
        // Month ends: February in leap and common years, December into the next year.
        XCTAssertEqual(StatsDay(text: "2024-02-10")?.nextMonthStart.text, "2024-03-01")
        XCTAssertEqual(StatsDay(text: "2025-02-28")?.nextMonthStart.text, "2025-03-01")
        XCTAssertEqual(StatsDay(text: "2025-12-31")?.monthStart.text, "2025-12-01")
        XCTAssertEqual(StatsDay(text: "2025-12-31")?.nextMonthStart.text, "2026-01-01")
        let midMonth = StatsPeriods(asOf: try date("2026-03-18T23:59:59Z"))
        XCTAssertEqual(midMonth.earliest.text, "2026-03-01", "the month began before the week")
        XCTAssertEqual(midMonth.week.lowerBound.text, "2026-03-16")
    }
}
