import Foundation

/// Typed reads of configuration variables from an environment, with defaults and checks.
///
/// Every service reads its whole configuration through one reader at start, so an invalid
/// value fails fast with a `ConfigurationError` naming the variable. Reads are recorded, so
/// a service can list the variables it understands (for docs/configuration.md's table and the
/// compose checks).
public struct EnvironmentReader: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// A string, or `defaultValue` when unset or empty.
    public func string(_ name: String, default defaultValue: String) -> String {
        guard let value = values[name], !value.isEmpty else { return defaultValue }
        return value
    }

    /// A required string; throws when unset or empty.
    public func requiredString(_ name: String) throws -> String {
        guard let value = values[name], !value.isEmpty else {
            throw ConfigurationError(variable: name, problem: "is required but not set")
        }
        return value
    }

    /// An integer within `range`.
    public func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let raw = values[name], !raw.isEmpty else { return defaultValue }
        guard let value = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ConfigurationError(variable: name,
                                     problem: "expected an integer from \(range.lowerBound) to \(range.upperBound), got \"\(raw.prefix(40))\"")
        }
        return value
    }

    /// A TCP port, 0 to 65535 (0 asks the system for a free one).
    public func port(_ name: String, default defaultValue: Int) throws -> Int {
        try int(name, default: defaultValue, in: 0...65_535)
    }

    /// A duration in milliseconds, within `range` milliseconds.
    public func milliseconds(_ name: String, default defaultValue: Duration, in range: ClosedRange<Int>) throws -> Duration {
        .milliseconds(try int(name, default: Int(defaultValue.inMilliseconds), in: range))
    }

    /// A boolean: true/false, 1/0, yes/no, on/off.
    public func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let raw = values[name], !raw.isEmpty else { return defaultValue }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(variable: name, problem: "expected true or false, got \"\(raw.prefix(40))\"")
        }
    }

    /// One of a fixed set of values.
    public func choice(_ name: String, default defaultValue: String, allowed: [String]) throws -> String {
        let value = string(name, default: defaultValue)
        guard allowed.contains(value) else {
            throw ConfigurationError(variable: name, problem: "expected one of \(allowed.joined(separator: ", ")), got \"\(value.prefix(40))\"")
        }
        return value
    }

    /// An http:// base URL such as `http://127.0.0.1:8081`, without a trailing slash.
    public func httpURL(_ name: String, default defaultValue: String) throws -> String {
        let value = string(name, default: defaultValue)
        guard let url = URL(string: value), url.scheme == "http", url.host != nil, url.query == nil else {
            throw ConfigurationError(variable: name, problem: "expected an http:// URL such as http://127.0.0.1:8081, got \"\(value.prefix(80))\"")
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    /// A secret that must be set; never echoed back in errors.
    public func secret(_ name: String, minimumLength: Int) throws -> String {
        guard let value = values[name], !value.isEmpty else {
            throw ConfigurationError(variable: name, problem: "is required but not set")
        }
        guard value.utf8.count >= minimumLength else {
            throw ConfigurationError(variable: name, problem: "must be at least \(minimumLength) bytes long")
        }
        return value
    }
}
