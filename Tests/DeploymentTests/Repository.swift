import Foundation

/// The checked-out repository these tests read: its root and its files as text.
enum Repository {
    /// The repository root, found from this file's place in it (Tests/DeploymentTests/).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The text of `path`, relative to the root.
    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The `.swift` files under `directory` (relative to the root), as relative paths, sorted.
    static func swiftFiles(under directory: String) -> [String] {
        let base = root.appendingPathComponent(directory)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return [] }
        var paths: [String] = []
        for case let url as URL in walker where url.pathExtension == "swift" {
            paths.append(directory + "/" + url.path.dropFirst(base.path.count + 1))
        }
        return paths.sorted()
    }
}
