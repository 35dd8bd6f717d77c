import Foundation

/// The environment variable names a shell script uses: `$NAME` and `${NAME…}` expansions,
/// `NAME=value` assignments and `export NAME` (upper-case names only: lower-case ones are
/// the script's own locals). Comment lines are skipped.
struct ShellScriptVariables {
    /// Name → first line it appears on.
    var names: [String: Int]

    init(script: String) {
        var names: [String: Int] = [:]
        let patterns = [
            #"\$\{?([A-Z_][A-Z0-9_]*)"#,
            #"(?:^|[\s;'"(])([A-Z_][A-Z0-9_]*)="#,
            #"\bexport\s+((?:[A-Z_][A-Z0-9_]*\s*)+)"#,
        ]
        for (number, line) in script.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = String(line)
            if text.trimmingCharacters(in: .whitespaces).hasPrefix("#") { continue }
            for pattern in patterns {
                for match in SwiftSourceFile.matches(pattern, in: text as NSString) {
                    for name in (text as NSString).substring(with: match.range(at: 1)).split(separator: " ") where !name.isEmpty {
                        if names[String(name)] == nil { names[String(name)] = number + 1 }
                    }
                }
            }
        }
        self.names = names
    }
}
