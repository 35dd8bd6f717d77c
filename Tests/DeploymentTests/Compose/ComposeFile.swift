/// docker-compose.yml as these tests read it: the services and the declared named volumes.
struct ComposeFile {
    var root: YAMLMapping
    var services: [ComposeService]
    var volumes: Set<String>

    /// The repository's docker-compose.yml.
    static func load() throws -> ComposeFile {
        try ComposeFile(text: try Repository.text("docker-compose.yml"))
    }

    init(text: String) throws {
        guard let root = try YAMLReader.parse(text).mapping else { throw ComposeError("the file is not a mapping") }
        guard let services = root["services"]?.mapping else { throw ComposeError("no services") }
        self.root = root
        self.services = try services.entries.map { try ComposeService(name: $0.key, node: $0.value) }
        self.volumes = Set(root["volumes"]?.mapping?.keys ?? [])
    }

    subscript(name: String) -> ComposeService? {
        services.first { $0.name == name }
    }

    /// Every scalar value in the file (compose interpolates them all), with where it is.
    var scalars: [(path: String, value: String)] {
        var found: [(String, String)] = []
        func visit(_ node: YAMLNode, _ path: String) {
            switch node {
            case .scalar(let value): found.append((path, value))
            case .sequence(let items): for (index, item) in items.enumerated() { visit(item, "\(path)[\(index)]") }
            case .mapping(let mapping): for entry in mapping.entries { visit(entry.value, path.isEmpty ? entry.key : "\(path).\(entry.key)") }
            case .null: break
            }
        }
        visit(.mapping(root), "")
        return found
    }

    /// The services `name` waits for, directly or through theirs.
    func dependencies(of name: String) -> Set<String> {
        var seen: Set<String> = []
        var pending = self[name]?.dependsOn.keys.map { $0 } ?? []
        while let next = pending.popLast() {
            guard seen.insert(next).inserted else { continue }
            pending += self[next]?.dependsOn.keys.map { $0 } ?? []
        }
        return seen
    }
}

/// The compose file does not have a shape these tests understand.
struct ComposeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
