import Foundation

/// The read methods `EnvironmentReader` declares, and whether each takes a default: read from
/// its source, so a new method is recognised without changing these tests.
enum EnvironmentReaderMethods {
    /// Method name → takes a `default:`; from `public func NAME(_ name: String, …)` declarations.
    static func parse(_ source: String) -> [String: Bool] {
        var methods: [String: Bool] = [:]
        let pattern = #"public\s+func\s+([a-zA-Z]+)\s*\(\s*_\s+name:\s*String([^)]*)\)"#
        for match in SwiftSourceFile.matches(pattern, in: source as NSString) {
            let text = source as NSString
            methods[text.substring(with: match.range(at: 1))] = text.substring(with: match.range(at: 2)).contains("default")
        }
        return methods
    }
}
