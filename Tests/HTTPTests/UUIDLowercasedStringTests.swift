import Foundation
import JSON
import XCTest

final class UUIDLowercasedStringTests: XCTestCase {
    /// The fast form is exactly Foundation's, lower-cased, for any id.
    func testMatchesFoundationsTextInLowerCase() {
        var ids = (0..<1000).map { _ in UUID() }
        ids.append(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        ids.append(UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        for id in ids {
            XCTAssertEqual(id.lowercasedString, id.uuidString.lowercased())
        }
    }
}
