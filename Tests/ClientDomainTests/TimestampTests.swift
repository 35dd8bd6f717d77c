import ClientDomain
import Foundation
import XCTest

final class TimestampTests: XCTestCase {
    func testFormatsUTCWithMilliseconds() {
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 1_735_812_936.5)), "2025-01-02T10:15:36.500Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
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
