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
        XCTAssertTrue(open?.calls.contains(.init(typeName: nil, name: "helper", callerType: "ServiceSetup")) == true)
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

    func testAServiceReadsOnlyWhatItsCallsReachInSharedModules() throws {
        let manifest = try PackageManifest(json: Data("""
        {"products": [{"name": "app", "type": {"executable": null}, "targets": ["App"]},
                      {"name": "idle", "type": {"executable": null}, "targets": ["Idle"]}],
         "targets": [{"name": "Shared", "path": "S", "type": "regular", "dependencies": []},
                     {"name": "App", "path": "A", "type": "executable", "dependencies": [{"byName": ["Shared", null]}]},
                     {"name": "Idle", "path": "I", "type": "executable", "dependencies": [{"byName": ["Shared", null]}]}]}
        """.utf8))
        let shared = SwiftSourceFile(path: "S/Shared.swift", text: """
        public enum Boot {
            public static func run(environment: EnvironmentReader) {
                _ = environment.string("COMMON", default: "x")
                helper(environment)
            }
            static func helper(_ environment: EnvironmentReader) { _ = try? environment.requiredString("HELPED") }
        }
        extension Setup {
            public func openDatabase() throws { _ = try environment.requiredString("DATABASE") }
            public func openBus() throws { _ = try environment.requiredString("BUS") }
        }
        public struct Worker {
            public func run() {}
        }
        """, readerMethods: methods)
        let app = SwiftSourceFile(path: "A/main.swift", text: "Boot.run(environment: e)\ntry setup.openDatabase()\n",
                                  readerMethods: methods)
        let idle = SwiftSourceFile(path: "I/main.swift", text: "Worker().run()\nhelper(x)\n", readerMethods: methods)
        let scan = SourceScan(manifest: manifest, files: ["Shared": [shared], "App": [app], "Idle": [idle]])
        XCTAssertEqual(Set(scan.variables(of: "app").reads.keys), ["COMMON", "HELPED", "DATABASE"])
        XCTAssertTrue(scan.variables(of: "app").isRequired("DATABASE"))
        XCTAssertEqual(Set(scan.variables(of: "idle").reads.keys), [],
                       "an instance run() does not reach the static Boot.run, nor a bare helper( the static Boot.helper")
    }
}
