import Foundation
import JSON
import XCTest

final class UUIDCanonicalTextTests: XCTestCase {
    /// The fast forms are exactly Foundation's `uuidString`, in each case, for any id.
    func testMatchesFoundationsTextInEitherCase() {
        var ids = (0..<1000).map { _ in UUID() }
        ids.append(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        ids.append(UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        ids.append(UUID(uuid: (0x09, 0x0a, 0x9f, 0xa0, 0xaf, 0xf0, 0x00, 0x01, 0x10, 0x99, 0xa9, 0x9a, 0xbc, 0xde, 0xf1, 0x23)))
        for id in ids {
            XCTAssertEqual(id.lowercasedString, id.uuidString.lowercased())
            XCTAssertEqual(id.uppercasedString, id.uuidString)
        }
    }
}
