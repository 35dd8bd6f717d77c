@testable import ServiceRuntime
import XCTest

final class RequestContextTests: XCTestCase {
    func testAcceptsOnlySaneCallerIds() {
        XCTAssertEqual(RequestContext.sanitizedId("abc-123_X.y"), "abc-123_X.y")
        XCTAssertNil(RequestContext.sanitizedId(""))
        XCTAssertNil(RequestContext.sanitizedId("has space"))
        XCTAssertNil(RequestContext.sanitizedId("line\nbreak"))
        XCTAssertNil(RequestContext.sanitizedId("\"quoted\""))
        XCTAssertNil(RequestContext.sanitizedId(String(repeating: "a", count: 129)))
    }

    func testTakesTheTraceIdOfAValidTraceparent() {
        XCTAssertEqual(RequestContext.traceId(fromTraceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
                       "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertNil(RequestContext.traceId(fromTraceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01"))
        XCTAssertNil(RequestContext.traceId(fromTraceparent: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"))
        XCTAssertNil(RequestContext.traceId(fromTraceparent: "garbage"))
        XCTAssertNil(RequestContext.traceId(fromTraceparent: nil))
    }
}
