import XCTest
final class HTTPPlaceholderTests: XCTestCase { func testNothing() {} }
