import Foundation

/// The invariants of docker-compose.yml, each a function returning one line per violation
/// that names the service and variable concerned (empty when it holds).
///
/// The checks take their inputs as values, so tests run them both on the repository's files
/// and on deliberately broken copies (to show each can fail).
struct DeploymentChecks {
    var compose: ComposeFile
    var scan: SourceScan
    var dockerfile: Dockerfile
    /// What each executable product reads.
    let variablesByProduct: [String: ServiceVariables]

    init(compose: ComposeFile, scan: SourceScan, dockerfile: Dockerfile) {
        self.compose = compose
        self.scan = scan
        self.dockerfile = dockerfile
        variablesByProduct = Dictionary(uniqueKeysWithValues: scan.products.map { ($0, scan.variables(of: $0)) })
    }

    /// The checks over the repository's files.
    static func load() throws -> DeploymentChecks {
        DeploymentChecks(compose: try ComposeFile.load(), scan: try SourceScan(manifest: try PackageManifest.load()),
                         dockerfile: try Dockerfile.load())
    }

    /// The same checks over another compose text (the sources and Dockerfile stay the repository's).
    func with(composeText: String) throws -> DeploymentChecks {
        var copy = self
        copy.compose = try ComposeFile(text: composeText)
        return copy
    }

    // MARK: What the checks share

    /// The executable products of Package.swift.
    var products: Set<String> { Set(scan.manifest.executables.keys) }

    /// Services built from this repository's Dockerfile.
    var builtServices: [ComposeService] { compose.services.filter { $0.dockerfile != nil } }

    /// The product a built service runs, when it is one.
    func product(of service: ComposeService) -> String? {
        guard service.dockerfile != nil, let program = service.program, products.contains(program) else { return nil }
        return program
    }

    /// What `service`'s program reads (empty for images from elsewhere).
    func variables(of service: ComposeService) -> ServiceVariables? {
        product(of: service).flatMap { variablesByProduct[$0] }
    }

    /// The environment `service` starts with: the image's `ENV` (for built services), then the
    /// compose file's, interpolated with no host variables set and each required one (`:?`)
    /// standing as `<NAME>`.
    func environment(of service: ComposeService) throws -> [String: String] {
        var values: [String: String] = service.dockerfile != nil ? (dockerfile.stages.last?.environment ?? [:]) : [:]
        for (name, value) in service.environment {
            values[name] = try ComposeInterpolation.evaluate(value ?? "", environment: [:])
        }
        return values
    }

    /// The port a built service listens on: its `HTTP_PORT` in compose.
    func port(of service: ComposeService) throws -> Int? {
        try environment(of: service)["HTTP_PORT"].flatMap { Int($0) }
    }

    /// The value `service` ends up with for `name`: compose's, else the sources' default.
    func effectiveValue(_ name: String, of service: ComposeService) throws -> String? {
        if let value = try environment(of: service)[name], !value.isEmpty { return value }
        return variables(of: service)?.defaultValue(of: name)
    }

    /// Whether `image` names a fixed version: a digest, or a tag with a digit that is not `latest`.
    static func isPinned(_ image: String) -> Bool {
        if image.contains("@sha256:") { return true }
        let lastComponent = image.split(separator: "/").last ?? ""
        guard let colon = lastComponent.lastIndex(of: ":") else { return false }
        let tag = lastComponent[lastComponent.index(after: colon)...]
        return tag != "latest" && tag.contains { $0.isNumber } && !tag.contains("$")
    }

    /// A compose duration (`30s`, `1m30s`, `500ms`, `2h`) in milliseconds.
    static func milliseconds(ofDuration text: String) -> Int? {
        var total = 0
        var number = ""
        var unit = ""
        func flush() -> Bool {
            guard let value = Int(number) else { return false }
            switch unit {
            case "us": total += value / 1000
            case "ms": total += value
            case "s": total += value * 1000
            case "m": total += value * 60_000
            case "h": total += value * 3_600_000
            default: return false
            }
            number = ""
            unit = ""
            return true
        }
        for character in text {
            if character.isNumber {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else {
                unit.append(character)
            }
        }
        guard flush() else { return nil }
        return total
    }
}
