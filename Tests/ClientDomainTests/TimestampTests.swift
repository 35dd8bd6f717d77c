import ClientDomain
import Foundation
import XCTest

final class TimestampTests: XCTestCase {
    func testFormatsUTCWithMilliseconds() {
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 1_735_812_936.5)), "2025-01-02T10:15:36.500Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
    }

    /// Every field against Foundation's UTC calendar, for dates from 1900 to 2200 (before
    /// 1970 too, where the milliseconds still count up from the second before).
    func testFormatAgreesWithTheGregorianCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...7_258_118_400_000, using: &generator)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let whole = Date(timeIntervalSince1970: Double(milliseconds.floorDivided(by: 1000)))
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!,
                                  c.second!, Int(milliseconds - milliseconds.floorDivided(by: 1000) * 1000))
            XCTAssertEqual(Timestamp.format(date), expected, "\(milliseconds) ms")
        }
    }

    /// A time read back from its text formats to the same text, to the millisecond.
    func testFormatsWhatItParsesUnchanged() throws {
        for text in ["1970-05-05T07:38:45.374Z", "2025-01-02T10:15:36.001Z", "2025-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"] {
            XCTAssertEqual(Timestamp.format(try XCTUnwrap(Timestamp.parse(text))), text)
        }
    }

    func testParsesWhatItFormatsAndCommonForms() throws {
        let date = Date(timeIntervalSince1970: 1_735_812_936.123)
        let parsed = try XCTUnwrap(Timestamp.parse(Timestamp.format(date)))
        XCTAssertEqual(parsed.timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 0.0005)
        XCTAssertEqual(Timestamp.parse("2025-01-02"), Date(timeIntervalSince1970: 1_735_776_000))
        XCTAssertEqual(Timestamp.parse("2025-01-02T10:15:36Z"), Date(timeIntervalSince1970: 1_735_812_936))
        XCTAssertEqual(Timestamp.parse("2025-01-02T12:15:36+02:00"), Date(timeIntervalSince1970: 1_735_812_936))
        XCTAssertEqual(Timestamp.parse("2025-01-02T10:15:36.000000Z"), Date(timeIntervalSince1970: 1_735_812_936))
    }

    func testRejectsMalformedAndImpossibleDates() {
        for text in ["", "2025", "2025-13-01", "2025-02-30", "2025-01-02T25:00:00Z", "2025-01-02T10:15:36", "2025-01-02T10:15:36.Z",
                     "2025-01-02 10:15:36Z", "2025-01-02T10:15:36+0200", "yesterday", "2025-01-02T10:15:36Zjunk"] {
            XCTAssertNil(Timestamp.parse(text), text)
        }
    }
}

private extension Int64 {
    /// The quotient rounded towards minus infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
