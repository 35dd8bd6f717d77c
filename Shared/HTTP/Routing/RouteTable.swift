import Foundation

/// An immutable compiled set of routes: a trie over path segments.
///
/// Matching finds the resource first, then its handler for the method. The resource is the
/// first pattern with any handler that the path matches, preferring static segments, then
/// `:name` parameters, then a trailing `*`, and backtracking past branches that have none,
/// so `/a/b` and `/a/:id` coexist. A method the resource does not serve is 405 with the
/// resource's own `Allow`, never another pattern's handler: `PUT /a/b` is not `PUT /a/:id`
/// with id `b`. Empty segments are ignored (`/a//b/` is `/a/b`). Segments are
/// percent-decoded after splitting, so `%2F` stays inside one parameter.
final class RouteTable: Sendable {
    struct Entry: Sendable {
        let method: HTTPMethod
        let pattern: String
        let parameterNames: [String]
        let options: RouteOptions
        let handler: RouteHandler
    }

    final class Node: Sendable {
        let statics: [String: Node]
        let parameter: Node?
        let handlers: [HTTPMethod: Entry]
        let wildcardHandlers: [HTTPMethod: Entry]

        init(statics: [String: Node], parameter: Node?, handlers: [HTTPMethod: Entry], wildcardHandlers: [HTTPMethod: Entry]) {
            self.statics = statics
            self.parameter = parameter
            self.handlers = handlers
            self.wildcardHandlers = wildcardHandlers
        }
    }

    /// The outcome of matching a method and path.
    enum Match {
        case found(Entry, parameters: [String: String])
        case methodNotAllowed(allowed: [HTTPMethod])
        case notFound
        case badPath
    }

    let root: Node

    init(entries: [Entry]) {
        final class Builder {
            var statics: [String: Builder] = [:]
            var parameter: Builder?
            var handlers: [HTTPMethod: Entry] = [:]
            var wildcardHandlers: [HTTPMethod: Entry] = [:]
            func build() -> Node {
                Node(statics: statics.mapValues { $0.build() }, parameter: parameter?.build(),
                     handlers: handlers, wildcardHandlers: wildcardHandlers)
            }
        }
        let root = Builder()
        for entry in entries {
            var node = root
            var isWildcard = false
            for segment in RouteTable.patternSegments(entry.pattern) {
                if segment == "*" {
                    isWildcard = true
                    break
                } else if segment.hasPrefix(":") {
                    if node.parameter == nil { node.parameter = Builder() }
                    node = node.parameter ?? node
                } else {
                    if node.statics[segment] == nil { node.statics[segment] = Builder() }
                    node = node.statics[segment] ?? node
                }
            }
            if isWildcard {
                if node.wildcardHandlers[entry.method] == nil { node.wildcardHandlers[entry.method] = entry }
            } else if node.handlers[entry.method] == nil {
                node.handlers[entry.method] = entry
            }
        }
        self.root = root.build()
    }

    static func patternSegments(_ pattern: String) -> [String] {
        pattern.split(separator: "/").map(String.init)
    }

    /// Matches `method` and a raw path (no query, still percent-encoded).
    ///
    /// The path is split on its bytes: a request target is visible ASCII (the parser refuses
    /// anything else), and `Substring.split` works by grapheme, a large part of this function's
    /// time when it split the path (measured: docs/performance.md, design measurements).
    func match(_ method: HTTPMethod, rawPath: Substring) -> Match {
        var segments: [String] = []
        segments.reserveCapacity(8)
        for raw in rawPath.utf8.split(separator: UInt8(ascii: "/")) {
            guard let decoded = PercentEncoding.decode(Substring(raw)) else { return .badPath }
            segments.append(decoded)
        }
        var values: [String] = []
        var wildcard: String? = nil
        guard let (node, isWildcard) = resource(root, segments, 0, &values, &wildcard) else { return .notFound }
        let table = isWildcard ? node.wildcardHandlers : node.handlers
        guard let entry = table[method] ?? (method == .HEAD ? table[.GET] : nil) else {
            var allowed = Set(table.keys)
            if allowed.contains(.GET) { allowed.insert(.HEAD) }
            return .methodNotAllowed(allowed: allowed.sorted { $0.rawValue < $1.rawValue })
        }
        var parameters: [String: String] = [:]
        for (name, value) in zip(entry.parameterNames, values) { parameters[name] = value }
        if let wildcard { parameters["*"] = wildcard }
        return .found(entry, parameters: parameters)
    }

    /// The node of the first pattern with any handler that `segments` (from `i`) match, and
    /// whether its wildcard handlers are the ones; the parameter values and wildcard rest on
    /// the way are left in `values` and `wildcard`.
    private func resource(_ node: Node, _ segments: [String], _ i: Int, _ values: inout [String],
                          _ wildcard: inout String?) -> (Node, Bool)? {
        if i == segments.count {
            if !node.handlers.isEmpty { return (node, false) }
        } else {
            if let child = node.statics[segments[i]], let found = resource(child, segments, i + 1, &values, &wildcard) {
                return found
            }
            if let child = node.parameter {
                values.append(segments[i])
                if let found = resource(child, segments, i + 1, &values, &wildcard) { return found }
                values.removeLast()
            }
        }
        if !node.wildcardHandlers.isEmpty {
            wildcard = segments[i...].joined(separator: "/")
            return (node, true)
        }
        return nil
    }
}
