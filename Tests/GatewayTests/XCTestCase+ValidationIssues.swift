import XCTest
@testable import Gateway

extension XCTestCase {
    /// The issues (field → message) of the `ValidationFailure` that `parse` throws; a test
    /// failure when it throws nothing or something else.
    func issues(_ parse: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> [String: String] {
        do {
            _ = try parse()
            XCTFail("expected a validation failure", file: file, line: line)
        } catch let failure as ValidationFailure {
            return Dictionary(failure.issues.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first })
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
        return [:]
    }
}
