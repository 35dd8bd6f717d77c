import XCTest

/// Package.swift's target dependencies say what each module's sources import, no more and no less.
final class TargetDependencyTests: XCTestCase {
    func testEveryTargetDeclaresExactlyThePackageTargetsItImports() throws {
        let check = try TargetDependencies.load()
        XCTAssertGreaterThan(check.sources.count, 20, "the scan found the package's targets")
        XCTAssertEqual(check.mismatches().map(\.description), [])
    }

    func testFindsAnUndeclaredImportAndAnUnimportedDependency() {
        let manifest = PackageManifest(executables: [:], targets: [
            "CLib": .init(name: "CLib", path: "Shared/CLib", type: "system", dependencies: [], aptProviders: []),
            "Wrapper": .init(name: "Wrapper", path: "Shared/Wrapper", type: "regular", dependencies: ["CLib"], aptProviders: []),
            "Layer": .init(name: "Layer", path: "Shared/Layer", type: "regular", dependencies: ["Wrapper", "Unused"],
                           aptProviders: []),
            "Unused": .init(name: "Unused", path: "Shared/Unused", type: "regular", dependencies: [], aptProviders: []),
            "LayerTests": .init(name: "LayerTests", path: "Tests/LayerTests", type: "test", dependencies: ["Layer"],
                                aptProviders: []),
        ])
        let check = TargetDependencies(manifest: manifest, sources: [
            "Wrapper": ["import CLib\nimport Foundation\n"],
            "Layer": ["import Wrapper\n", "@preconcurrency import CLib\n// import Unused\nlet s = \"\"\"\nimport Unused\n\"\"\"\n"],
            "Unused": [""],
            "LayerTests": ["import XCTest\n@testable import Layer\nimport struct Wrapper.Value\n"],
        ])
        XCTAssertEqual(check.mismatches(), [
            .init(target: "Layer", undeclared: ["CLib"], unimported: ["Unused"]),
            .init(target: "LayerTests", undeclared: ["Wrapper"], unimported: []),
        ])
        XCTAssertEqual(check.mismatches().first?.description,
                       "Layer: imports CLib without declaring it; declares Unused but never imports it")
    }

    func testReadsEveryFormOfImport() {
        let text = """
            import Foundation
            @testable import Gateway
            @_exported import JSON
              public import Errors
            @preconcurrency import CRdKafka
            import struct HTTP.HTTPRequest
            // import Commented
            /* import Blocked */
            let python = \"\"\"
                import requests
                \"\"\"
            func f() { let importer = 1; _ = importer }
            """
        XCTAssertEqual(SwiftImports.modules(in: text), ["Foundation", "Gateway", "JSON", "Errors", "CRdKafka", "HTTP"])
    }
}
