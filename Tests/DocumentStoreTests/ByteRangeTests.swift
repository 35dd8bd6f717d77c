import XCTest
@testable import DocumentStore

final class ByteRangeTests: XCTestCase {
    func testOneRangeIsServedAndTheRestIsTheWholeFileOr416() {
        XCTAssertEqual(ByteRange.parse(nil, size: 100), .whole)
        XCTAssertEqual(ByteRange.parse("bytes=0-9", size: 100), .partial(0...9))
        XCTAssertEqual(ByteRange.parse("bytes=90-", size: 100), .partial(90...99))
        XCTAssertEqual(ByteRange.parse("bytes=90-500", size: 100), .partial(90...99))
        XCTAssertEqual(ByteRange.parse("bytes=-10", size: 100), .partial(90...99))
        XCTAssertEqual(ByteRange.parse("bytes=-500", size: 100), .partial(0...99))
        XCTAssertEqual(ByteRange.parse("bytes=100-", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=0-0", size: 0), .unsatisfiable)
        XCTAssertEqual(ByteRange.parse("bytes=-0", size: 100), .unsatisfiable)
        for ignored in ["bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=a-b", "bytes=", "bytes=-", "bytes=99999999999999999999-"] {
            XCTAssertEqual(ByteRange.parse(ignored, size: 100), .whole, ignored)
        }
    }
}
