import XCTest
final class PostgresPlaceholderTests: XCTestCase { func testNothing() {} }
