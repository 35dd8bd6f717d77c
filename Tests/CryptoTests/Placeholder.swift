import XCTest
final class CryptoPlaceholderTests: XCTestCase { func testNothing() {} }
