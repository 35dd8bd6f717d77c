import XCTest
@testable import HTTP
