import Foundation

/// The variable names an env file (such as deploy/compose.env.example) sets or shows:
/// `NAME=value` lines and commented-out `# NAME=value` lines.
enum EnvFileNames {
    static func parse(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let body = trimmed.hasPrefix("#") ? trimmed.dropFirst().trimmingCharacters(in: .whitespaces) : trimmed
            guard let match = SwiftSourceFile.matches(#"^([A-Z_][A-Z0-9_]*)="#, in: body as NSString).first else { return nil }
            return (body as NSString).substring(with: match.range(at: 1))
        })
    }
}
