import Foundation

/// Package.swift as SwiftPM itself reads it (`swift package dump-package`): the executable
/// products and the target graph with each target's folder.
struct PackageManifest {
    struct Target {
        var name: String
        var path: String
        var type: String
        var dependencies: [String]
        /// The Debian packages a system-library target names as its `providers`.
        var aptProviders: [String]
    }

    /// Executable product name → its target's name.
    var executables: [String: String]
    var targets: [String: Target]

    /// The manifest of the repository these tests are in.
    static func load() throws -> PackageManifest {
        try PackageManifest(json: try dumpPackage())
    }

    init(executables: [String: String], targets: [String: Target]) {
        self.executables = executables
        self.targets = targets
    }

    init(json: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: json) as? [String: Any],
              let products = root["products"] as? [[String: Any]],
              let targets = root["targets"] as? [[String: Any]] else {
            throw ManifestError("dump-package output has no products or targets")
        }
        var executables: [String: String] = [:]
        for product in products {
            guard let name = product["name"] as? String, let type = product["type"] as? [String: Any],
                  type.keys.contains("executable"), let targetNames = product["targets"] as? [String],
                  let target = targetNames.first else { continue }
            executables[name] = target
        }
        var byName: [String: Target] = [:]
        for target in targets {
            guard let name = target["name"] as? String, let type = target["type"] as? String else { continue }
            let dependencies = (target["dependencies"] as? [[String: Any]] ?? []).compactMap { dependency -> String? in
                for kind in ["byName", "target"] {
                    if let reference = dependency[kind] as? [Any], let name = reference.first as? String { return name }
                }
                return nil
            }
            let providers = (target["providers"] as? [[String: Any]] ?? []).flatMap { provider -> [String] in
                (provider["apt"] as? [[String]] ?? []).flatMap { $0 }
            }
            let defaultPath = (type == "test" ? "Tests/" : "Sources/") + name
            byName[name] = Target(name: name, path: target["path"] as? String ?? defaultPath, type: type,
                                  dependencies: dependencies, aptProviders: providers)
        }
        self.executables = executables
        self.targets = byName
    }

    /// `target` and every target it depends on, directly or not.
    func closure(of target: String) -> [Target] {
        var seen: Set<String> = []
        var order: [Target] = []
        var pending = [target]
        while let name = pending.popLast() {
            guard !seen.contains(name), let found = targets[name] else { continue }
            seen.insert(name)
            order.append(found)
            pending += found.dependencies
        }
        return order
    }

    /// Runs `swift package dump-package` on the repository, with a scratch directory of its
    /// own so it neither waits for nor disturbs a running `swift test`'s lock on `.build`.
    private static func dumpPackage() throws -> Data {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("clientele-dump-\(UUID().uuidString)")
        // SwiftPM locks a scratch path with a file beside it, named after the path.
        let lock = FileManager.default.temporaryDirectory
            .appendingPathComponent(scratch.path.replacingOccurrences(of: "/", with: "_") + ".lock")
        defer {
            try? FileManager.default.removeItem(at: scratch)
            try? FileManager.default.removeItem(at: lock)
        }
        let process = Process()
        process.executableURL = swiftExecutable()
        process.arguments = ["package", "--package-path", Repository.root.path, "--scratch-path", scratch.path, "dump-package"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read before waiting: the JSON is larger than a pipe's buffer.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ManifestError("swift package dump-package exited \(process.terminationStatus): \(errorText.prefix(500))")
        }
        return data
    }

    /// The `swift` driver: the one on PATH, else the toolchain at /opt/swift.
    private static func swiftExecutable() -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("swift")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "/opt/swift/usr/bin/swift")
    }
}

/// The manifest could not be read.
struct ManifestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
