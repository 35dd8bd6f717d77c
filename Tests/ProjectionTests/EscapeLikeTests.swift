@testable import SearchReadModel
import XCTest

/// LIKE's wildcards are escaped code point by code point, as PostgreSQL reads the pattern.
final class EscapeLikeTests: XCTestCase {
    func testWildcardsBeforeCombiningMarksAreEscaped() {
        XCTAssertEqual(Array(ClientSearch.escapeLike("%\u{301}").unicodeScalars), Array("\\%\u{301}".unicodeScalars))
        XCTAssertEqual(Array(ClientSearch.escapeLike("_\u{301}\u{1DC0}").unicodeScalars), Array("\\_\u{301}\u{1DC0}".unicodeScalars))
        XCTAssertEqual(Array(ClientSearch.escapeLike("\\\u{301}").unicodeScalars), Array("\\\\\u{301}".unicodeScalars))
        XCTAssertEqual(ClientSearch.escapeLike("50% off_now"), "50\\% off\\_now")
        XCTAssertEqual(ClientSearch.escapeLike("José"), "José")
    }
}
