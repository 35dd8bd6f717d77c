import Foundation

/// Package.swift's declared target dependencies against what each target's sources import.
///
/// A target must declare exactly the package targets (Swift or system-library) its files
/// import: an import it does not declare builds only by luck of what another dependency
/// links, and a declared dependency nothing imports is a layer boundary that says more than
/// the code does. Modules outside the package (Foundation, XCTest…) are not counted.
struct TargetDependencies {
    /// For one target: package targets imported but not declared, and declared but not imported.
    struct Mismatch: Equatable, CustomStringConvertible {
        var target: String
        var undeclared: [String]
        var unimported: [String]

        var description: String {
            var parts: [String] = []
            if !undeclared.isEmpty { parts.append("imports \(undeclared.joined(separator: ", ")) without declaring it") }
            if !unimported.isEmpty { parts.append("declares \(unimported.joined(separator: ", ")) but never imports it") }
            return "\(target): " + parts.joined(separator: "; ")
        }
    }

    var manifest: PackageManifest
    /// Target name → the text of each of its Swift files.
    var sources: [String: [String]]

    /// The repository's manifest and the Swift files under each target's folder.
    static func load() throws -> TargetDependencies {
        let manifest = try PackageManifest.load()
        var sources: [String: [String]] = [:]
        for target in manifest.targets.values where target.type != "system" {
            sources[target.name] = try Repository.swiftFiles(under: target.path).map(Repository.text)
        }
        return TargetDependencies(manifest: manifest, sources: sources)
    }

    /// The targets whose imports and declared dependencies differ, by name.
    func mismatches() -> [Mismatch] {
        let packageTargets = Set(manifest.targets.keys)
        return sources.keys.sorted().compactMap { name -> Mismatch? in
            guard let target = manifest.targets[name] else { return nil }
            let imported = sources[name, default: []].reduce(into: Set<String>()) { $0.formUnion(SwiftImports.modules(in: $1)) }
                .intersection(packageTargets).subtracting([name])
            let declared = Set(target.dependencies)
            let mismatch = Mismatch(target: name, undeclared: imported.subtracting(declared).sorted(),
                                    unimported: declared.subtracting(imported).sorted())
            return mismatch.undeclared.isEmpty && mismatch.unimported.isEmpty ? nil : mismatch
        }
    }
}
