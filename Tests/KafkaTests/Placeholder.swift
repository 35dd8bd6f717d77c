import XCTest
final class KafkaPlaceholderTests: XCTestCase { func testNothing() {} }
