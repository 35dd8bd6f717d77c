/// A node of the YAML subset that docker-compose.yml uses.
///
/// Scalars stay strings (compose gives them their types itself); mappings keep their key
/// order, and merge keys (`<<`) are already resolved by `YAMLReader`.
enum YAMLNode: Equatable, Sendable {
    case null
    case scalar(String)
    case sequence([YAMLNode])
    case mapping(YAMLMapping)

    /// The scalar's text, or nil for anything else.
    var string: String? {
        if case .scalar(let text) = self { return text }
        return nil
    }

    /// The sequence's items, or nil for anything else.
    var sequence: [YAMLNode]? {
        if case .sequence(let items) = self { return items }
        return nil
    }

    /// The mapping, or nil for anything else.
    var mapping: YAMLMapping? {
        if case .mapping(let mapping) = self { return mapping }
        return nil
    }

    /// The value at `key` when this is a mapping.
    subscript(key: String) -> YAMLNode? {
        mapping?[key]
    }
}

/// A YAML mapping with its keys in file order.
struct YAMLMapping: Equatable, Sendable {
    struct Entry: Equatable, Sendable {
        var key: String
        var value: YAMLNode
    }

    var entries: [Entry] = []

    var keys: [String] { entries.map(\.key) }

    subscript(key: String) -> YAMLNode? {
        entries.first { $0.key == key }?.value
    }

    func contains(_ key: String) -> Bool {
        entries.contains { $0.key == key }
    }
}
