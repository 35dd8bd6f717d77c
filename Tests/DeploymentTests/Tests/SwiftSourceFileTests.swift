import XCTest

final class SwiftSourceFileTests: XCTestCase {
    private let methods = ["string": true, "requiredString": false, "int": true, "milliseconds": true, "secret": false]

    func testAttributesReadsAndCallsToTheirFunctionsIgnoringCommentsAndStrings() {
        let source = #"""
        // environment.requiredString("IN_A_COMMENT")
        extension ServiceSetup {
            /// Reads `environment.int("IN_DOC", default: 1, in: 0...2)`.
            public func openThing() throws -> Int {
                let text = "environment.secret(\"IN_A_STRING\", minimumLength: 1) \(value("x"))"
                let url = try environment.requiredString("THING_URL")
                let wait = try environment.milliseconds("THING_WAIT_MS", default: .seconds(20), in: 0...1_000)
                return helper(url) + Other.make()
            }
        }
        func helper(_ url: String) -> Int { values["HELPER_FLAG"] == nil ? 0 : 1 }
        let topLevel = environment.string("TOP", default: "a,b")
        """#
        let file = SwiftSourceFile(path: "X.swift", text: source, readerMethods: methods)
        let open = file.units.first { $0.name == "openThing" }
        XCTAssertEqual(open?.typeName, "ServiceSetup")
        XCTAssertEqual(open?.reads.map(\.name), ["THING_URL", "THING_WAIT_MS"])
        XCTAssertEqual(open?.reads.map(\.hasDefault), [false, true])
        XCTAssertEqual(open?.reads.last?.defaultValue, "20000")
        XCTAssertEqual(open?.reads.first?.location, "X.swift:6")
        XCTAssertTrue(open?.calls.contains(.init(typeName: nil, name: "helper")) == true)
        XCTAssertTrue(open?.calls.contains(.init(typeName: "Other", name: "make")) == true)
        XCTAssertEqual(file.units.first { $0.name == "helper" }?.reads.map(\.name), ["HELPER_FLAG"])
        XCTAssertEqual(file.units.first { $0.name == nil }?.reads.map(\.name), ["TOP"])
        XCTAssertEqual(file.units.first { $0.name == nil }?.reads.first?.defaultValue, "a,b")
        XCTAssertEqual(file.opaque.map(\.description), [])
    }

    func testReportsReadsItCannotName() {
        let source = """
        let name = "X"
        let a = try environment.int(name, default: 1, in: 0...2)
        let b = ProcessInfo.processInfo.environment["Y"]
        let c = getenv("Z")
        """
        let file = SwiftSourceFile(path: "Y.swift", text: source, readerMethods: methods)
        XCTAssertEqual(file.opaque.map(\.line), [2, 3, 4])
    }

    func testReadsTheReaderMethodsFromItsSource() throws {
        let methods = EnvironmentReaderMethods.parse(try Repository.text("Shared/ServiceRuntime/Configuration/EnvironmentReader.swift"))
        XCTAssertEqual(methods["requiredString"], false)
        XCTAssertEqual(methods["secret"], false)
        XCTAssertEqual(methods["int"], true)
        XCTAssertEqual(methods["httpURL"], true)
    }
}
