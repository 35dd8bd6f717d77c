import Foundation

/// One place in the sources that reads a configuration variable.
struct EnvironmentRead: Equatable {
    var name: String
    /// Whether the read has a fallback when the variable is unset (a `default:` argument, or
    /// an optional `values[...]` lookup); a read without one stops the service at start.
    var hasDefault: Bool
    /// The default as a variable would spell it (`"8"`, `"20000"` for `.seconds(20)` in a
    /// milliseconds read), when it is a literal.
    var defaultValue: String?
    /// `path:line`.
    var location: String

    /// The literal `default:` argument in a read's argument text, in the variable's own
    /// spelling: strings unquoted, integers without separators, `.seconds(n)` and
    /// `.milliseconds(n)` in milliseconds, booleans as `true`/`false`.
    static func defaultValue(inArguments arguments: String) -> String? {
        let text = arguments as NSString
        let patterns: [(String, (String) -> String?)] = [
            (#"default:\s*"([^"\\]*)""#, { $0 }),
            (#"default:\s*(-?[0-9][0-9_]*)\s*[,)]?"#, { $0.replacingOccurrences(of: "_", with: "") }),
            (#"default:\s*\.seconds\(([0-9_]+)\)"#, { Int($0.replacingOccurrences(of: "_", with: "")).map { String($0 * 1000) } }),
            (#"default:\s*\.milliseconds\(([0-9_]+)\)"#, { $0.replacingOccurrences(of: "_", with: "") }),
            (#"default:\s*(true|false)\b"#, { $0 }),
        ]
        for (pattern, convert) in patterns {
            if let match = SwiftSourceFile.matches(pattern, in: text).first {
                return convert(text.substring(with: match.range(at: 1)))
            }
        }
        return nil
    }
}
