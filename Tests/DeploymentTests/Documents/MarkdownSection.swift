import Foundation

/// One `## ` section of a Markdown document and the tables in it.
struct MarkdownSection {
    /// A table: its header cells and its rows' cells, as written.
    struct Table {
        var header: [String]
        var rows: [[String]]

        /// The `NAME` variable names in backticks in each row's first cell (`KAFKA_*` kept as is).
        var firstColumnNames: [String] {
            rows.flatMap { row in MarkdownSection.backtickedNames(in: row.first ?? "") }
        }
    }

    var title: String
    var text: String

    /// The section titled `title` in `document`, up to the next `## ` heading.
    static func find(_ title: String, in document: String) -> MarkdownSection? {
        var collected: [Substring] = []
        var inside = false
        for line in document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                if inside { break }
                inside = line.dropFirst(3).trimmingCharacters(in: .whitespaces) == title
                continue
            }
            if inside { collected.append(line) }
        }
        return inside ? MarkdownSection(title: title, text: collected.joined(separator: "\n")) : nil
    }

    /// The tables in the section, in order.
    var tables: [Table] {
        var tables: [Table] = []
        var current: [[String]] = []
        func flush() {
            if current.count >= 2 { tables.append(Table(header: current[0], rows: Array(current.dropFirst(2)))) }
            current = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("|") else {
                flush()
                continue
            }
            current.append(trimmed.dropFirst().dropLast(trimmed.hasSuffix("|") ? 1 : 0)
                .split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) })
        }
        flush()
        return tables
    }

    /// The table whose first header cell is `firstHeader`.
    func table(_ firstHeader: String) -> Table? {
        tables.first { $0.header.first == firstHeader }
    }

    /// Upper-case names in backticks: `` `HTTP_PORT` ``, `` `KAFKA_*` ``.
    static func backtickedNames(in text: String) -> [String] {
        SwiftSourceFile.matches(#"`([A-Z][A-Z0-9_]*\*?)`"#, in: text as NSString).map { (text as NSString).substring(with: $0.range(at: 1)) }
    }
}
