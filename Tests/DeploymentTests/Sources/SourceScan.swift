import Foundation

/// The scanned sources of every executable product.
struct SourceScan {
    var manifest: PackageManifest
    var files: [String: [SwiftSourceFile]]
    /// Reads the scan cannot name, in the targets of any executable.
    var opaque: [SwiftSourceFile.Opaque]

    /// Scans every Swift target an executable product depends on.
    init(manifest: PackageManifest) throws {
        self.manifest = manifest
        var modules: [String: PackageManifest.Target] = [:]
        for target in manifest.executables.values {
            for module in manifest.closure(of: target) where module.type != "system" { modules[module.name] = module }
        }
        var texts: [String: [(String, String)]] = [:]
        var readerMethods: [String: Bool] = [:]
        for module in modules.values {
            texts[module.name] = try Repository.swiftFiles(under: module.path).map { ($0, try Repository.text($0)) }
            for (_, text) in texts[module.name]! where text.contains("struct EnvironmentReader") {
                readerMethods.merge(EnvironmentReaderMethods.parse(text)) { $0 || $1 }
            }
        }
        guard !readerMethods.isEmpty else { throw ManifestError("no EnvironmentReader found in the executables' modules") }
        var files: [String: [SwiftSourceFile]] = [:]
        for (module, moduleTexts) in texts {
            files[module] = moduleTexts.map { SwiftSourceFile(path: $0.0, text: $0.1, readerMethods: readerMethods) }
        }
        self.files = files
        self.opaque = files.values.flatMap { $0.flatMap(\.opaque) }.sorted { $0.description < $1.description }
    }

    /// A scan of given files (module name → files), for tests of the scan itself.
    init(manifest: PackageManifest, files: [String: [SwiftSourceFile]]) {
        self.manifest = manifest
        self.files = files
        self.opaque = files.values.flatMap { $0.flatMap(\.opaque) }
    }

    /// Product names of the executables.
    var products: [String] { manifest.executables.keys.sorted() }

    /// What `product` reads.
    func variables(of product: String) -> ServiceVariables {
        guard let target = manifest.executables[product] else {
            return ServiceVariables(product: product, reads: [:], prefixes: [])
        }
        let shared = manifest.closure(of: target).map(\.name).filter { $0 != target }
        let sharedUnits = shared.flatMap { files[$0] ?? [] }.flatMap(\.units)
        var byName: [String: [Int]] = [:]
        for index in sharedUnits.indices { if let name = sharedUnits[index].name { byName[name, default: []].append(index) } }
        var reached: [SwiftSourceFile.Unit] = (files[target] ?? []).flatMap(\.units)
        var pending = reached.flatMap(\.calls)
        // Reads outside functions in shared modules (stored properties) always count; their
        // calls are not followed, as nothing says when they run.
        reached += sharedUnits.filter { $0.name == nil }
        var reachedShared: Set<Int> = []
        var followed: Set<SwiftSourceFile.Call> = []
        while let call = pending.popLast() {
            guard followed.insert(call).inserted else { continue }
            for index in byName[call.name] ?? [] where !reachedShared.contains(index) {
                let unit = sharedUnits[index]
                // A call naming a type reaches that type's functions. Otherwise an instance
                // function is reached through any receiver, a static one only from its own
                // type (`ServiceMain.run(` from elsewhere names the type).
                let typeMatches: Bool
                if let typeName = call.typeName, typeName != "Self" {
                    typeMatches = typeName == unit.typeName
                } else {
                    typeMatches = !unit.isStatic || call.callerType == unit.typeName
                }
                guard typeMatches else { continue }
                reachedShared.insert(index)
                reached.append(unit)
                pending += unit.calls
            }
        }
        var reads: [String: [EnvironmentRead]] = [:]
        for read in reached.flatMap(\.reads) { reads[read.name, default: []].append(read) }
        return ServiceVariables(product: product, reads: reads, prefixes: Set(reached.compactMap(\.prefixRead)))
    }
}
