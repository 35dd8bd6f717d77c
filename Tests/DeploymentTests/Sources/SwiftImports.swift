import Foundation

/// The modules a Swift file imports: every `import` declaration outside comments and
/// string literals, whatever its attributes (`@testable`, `@_exported`, `@preconcurrency`),
/// access level (`public import`) or kind (`import struct JSON.JSONValue` names `JSON`).
enum SwiftImports {
    static func modules(in text: String) -> Set<String> {
        let masked = SwiftSourceFile.mask(Array(text.utf16))
        let code = NSString(characters: masked, length: masked.count)
        let pattern = #"(?m)^[ \t]*(?:@[A-Za-z_]+(?:\([^)\n]*\))?[ \t]+)*(?:(?:public|package|internal|fileprivate|private)[ \t]+)?"#
            + #"import[ \t]+(?:(?:typealias|struct|class|enum|protocol|let|var|func)[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)"#
        return Set(SwiftSourceFile.matches(pattern, in: code).map { code.substring(with: $0.range(at: 1)) })
    }
}
