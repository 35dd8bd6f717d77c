import XCTest
final class ServiceRuntimePlaceholderTests: XCTestCase { func testNothing() {} }
