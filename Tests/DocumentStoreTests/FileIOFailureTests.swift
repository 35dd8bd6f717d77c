import Errors
import Glibc
import XCTest
@testable import DocumentStore

/// A full volume is a condition to retry after, not a fault of the system: the store answers
/// 503 (`unavailable`, which the gateway sends with `Retry-After`) and says so; other file
/// errors stay 500. Neither carries a path.
final class FileIOFailureTests: XCTestCase {
    func testAFullVolumeIsUnavailableAndOtherFailuresAreInternal() {
        for code in [ENOSPC, EDQUOT] {
            let full = FileIO.failure("write", code)
            XCTAssertEqual(full.code, .unavailable)
            XCTAssertEqual(full.message, "Document storage is full; retry later")
        }
        let other = FileIO.failure("write", EIO)
        XCTAssertEqual(other.code, .internal)
        XCTAssertEqual(other.message, "Document storage failed")
    }
}
