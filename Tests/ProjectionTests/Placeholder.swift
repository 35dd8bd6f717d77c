import XCTest

final class ProjectionTestsPlaceholder: XCTestCase {}
