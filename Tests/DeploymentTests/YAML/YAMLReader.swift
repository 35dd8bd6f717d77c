/// Reads the YAML subset that compose files are written in, without a package.
///
/// Supported: block mappings and sequences (a sequence may sit at its key's indentation),
/// flow sequences and mappings on one line, plain, single- and double-quoted scalars,
/// literal and folded block scalars (`|`, `|-`, `|+`, `>`, `>-`, `>+`), comments, anchors,
/// aliases and merge keys (`<<: *a`, `<<: [*a, *b]`; keys written in the mapping win).
/// Anything else (tabs for indentation, multi-line flow collections or quoted scalars,
/// tags, several documents, duplicate keys) fails with the line number rather than being
/// read wrongly.
struct YAMLReader {
    /// Why a text could not be read, with its 1-based line.
    struct Failure: Error, CustomStringConvertible, Equatable {
        var line: Int
        var message: String
        var description: String { "YAML line \(line): \(message)" }
    }

    private struct Line {
        var number: Int
        var indent: Int
        /// The content after the indentation, without a trailing comment or spaces.
        var text: String
        /// The whole line as written, for block scalars.
        var raw: String
    }

    private var lines: [Line] = []
    private var position = 0
    private var anchors: [String: YAMLNode] = [:]

    /// The single document in `text`.
    static func parse(_ text: String) throws -> YAMLNode {
        var reader = YAMLReader()
        try reader.load(text)
        let root = try reader.parseNode(minIndent: 0)
        if let extra = reader.nextSignificant() {
            throw Failure(line: extra.number, message: "unexpected content at indentation \(extra.indent)")
        }
        return root
    }

    private mutating func load(_ text: String) throws {
        var number = 0
        var started = false
        for rawSubstring in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var raw = String(rawSubstring)
            if raw.hasSuffix("\r") { raw.removeLast() }
            let indent = raw.prefix { $0 == " " }.count
            let rest = raw.dropFirst(indent)
            if rest.first == "\t" && !rest.allSatisfy({ $0 == "\t" || $0 == " " }) {
                throw Failure(line: number, message: "tabs are not allowed for indentation")
            }
            var content = Self.stripComment(String(rest))
            while content.last == " " || content.last == "\t" { content.removeLast() }
            if indent == 0 && (content == "---" || content.hasPrefix("--- ")) {
                if started { throw Failure(line: number, message: "only one document is supported") }
                content = ""
            }
            if indent == 0 && content == "..." { break }
            if !content.isEmpty { started = true }
            if content.hasPrefix("!") || content.contains(": !") || content.hasPrefix("- !") {
                throw Failure(line: number, message: "tags are not supported")
            }
            lines.append(Line(number: number, indent: indent, text: content, raw: raw))
        }
    }

    /// `text` without a `#` comment (one at the start or after a blank, outside quotes).
    static func stripComment(_ text: String) -> String {
        var quote: Character?
        var previous: Character?
        var lastNonBlank: Character?
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if open == "\"" && character == "\\" {
                    index = text.index(after: index)
                    if index < text.endIndex { index = text.index(after: index) }
                    previous = "x"
                    continue
                }
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                if lastNonBlank == nil || ":-[{,".contains(lastNonBlank!) { quote = character }
            } else if character == "#" && (previous == nil || previous == " " || previous == "\t") {
                return String(text[..<index])
            }
            previous = character
            if character != " " && character != "\t" { lastNonBlank = character }
            index = text.index(after: index)
        }
        return text
    }

    // MARK: Block structure

    /// The next line with content, without consuming it.
    private mutating func nextSignificant() -> Line? {
        while position < lines.count && lines[position].text.isEmpty { position += 1 }
        return position < lines.count ? lines[position] : nil
    }

    private static func isSequenceItem(_ text: String) -> Bool {
        text == "-" || text.hasPrefix("- ")
    }

    private mutating func parseNode(minIndent: Int) throws -> YAMLNode {
        guard let line = nextSignificant(), line.indent >= minIndent else { return .null }
        if Self.isSequenceItem(line.text) { return try parseSequence(indent: line.indent) }
        if try Self.mappingKey(in: line.text, line: line.number) != nil { return try parseMapping(indent: line.indent) }
        position += 1
        return try value(after: line.text, ownerIndent: line.indent, line: line.number, sequenceAtOwnerIndent: false)
    }

    private mutating func parseMapping(indent: Int) throws -> YAMLNode {
        var mapping = YAMLMapping()
        var merges: [YAMLMapping] = []
        while let line = nextSignificant(), line.indent == indent, !Self.isSequenceItem(line.text) {
            guard let (key, rest) = try Self.mappingKey(in: line.text, line: line.number) else {
                throw Failure(line: line.number, message: "expected `key: value`, found \"\(line.text.prefix(40))\"")
            }
            position += 1
            let node = try value(after: rest, ownerIndent: indent, line: line.number, sequenceAtOwnerIndent: true)
            if key == "<<" {
                switch node {
                case .mapping(let merged): merges.append(merged)
                case .sequence(let items):
                    for item in items {
                        guard case .mapping(let merged) = item else {
                            throw Failure(line: line.number, message: "a merge key takes mappings only")
                        }
                        merges.append(merged)
                    }
                default: throw Failure(line: line.number, message: "a merge key takes a mapping or a list of mappings")
                }
            } else {
                if mapping.contains(key) { throw Failure(line: line.number, message: "duplicate key \"\(key)\"") }
                mapping.entries.append(.init(key: key, value: node))
            }
        }
        if let line = nextSignificant(), line.indent > indent {
            throw Failure(line: line.number, message: "unexpected indentation (\(line.indent) spaces inside a mapping at \(indent))")
        }
        for merged in merges {
            for entry in merged.entries where !mapping.contains(entry.key) { mapping.entries.append(entry) }
        }
        return .mapping(mapping)
    }

    private mutating func parseSequence(indent: Int) throws -> YAMLNode {
        var items: [YAMLNode] = []
        while let line = nextSignificant(), line.indent == indent, Self.isSequenceItem(line.text) {
            let afterDash = line.text.dropFirst()
            let spaces = afterDash.prefix { $0 == " " }.count
            let rest = String(afterDash.dropFirst(spaces))
            let startsBlock = try !rest.isEmpty && (Self.isSequenceItem(rest) || Self.mappingKey(in: rest, line: line.number) != nil)
            if startsBlock {
                // `- key: value` or `- - item`: the rest is a block node starting at its own column.
                lines[position] = Line(number: line.number, indent: indent + 1 + spaces, text: rest, raw: line.raw)
                items.append(try parseNode(minIndent: indent + 1))
            } else {
                position += 1
                items.append(try value(after: rest, ownerIndent: indent, line: line.number, sequenceAtOwnerIndent: false))
            }
        }
        if let line = nextSignificant(), line.indent > indent {
            throw Failure(line: line.number, message: "unexpected indentation (\(line.indent) spaces inside a list at \(indent))")
        }
        return .sequence(items)
    }

    /// The value written after `key:` or `- `: inline, a block scalar, an alias, or a nested block.
    private mutating func value(after text: String, ownerIndent: Int, line: Int, sequenceAtOwnerIndent: Bool) throws -> YAMLNode {
        var rest = text
        var anchor: String?
        if rest.hasPrefix("&") {
            let name = rest.dropFirst().prefix { $0 != " " }
            guard !name.isEmpty else { throw Failure(line: line, message: "empty anchor name") }
            anchor = String(name)
            rest = String(rest.dropFirst(1 + name.count).drop { $0 == " " })
        }
        let node: YAMLNode
        if rest.isEmpty {
            if let next = nextSignificant(), next.indent > ownerIndent {
                node = try parseNode(minIndent: ownerIndent + 1)
            } else if sequenceAtOwnerIndent, let next = nextSignificant(), next.indent == ownerIndent, Self.isSequenceItem(next.text) {
                node = try parseSequence(indent: ownerIndent)
            } else {
                node = .null
            }
        } else if rest.hasPrefix("|") || rest.hasPrefix(">") {
            node = try blockScalar(header: rest, ownerIndent: ownerIndent, line: line)
        } else {
            var cursor = InlineCursor(text: rest, line: line)
            node = try inlineNode(&cursor, inFlow: false)
            cursor.skipBlanks()
            guard cursor.atEnd else {
                throw Failure(line: line, message: "unexpected \"\(cursor.remainder.prefix(20))\" after a value")
            }
        }
        if let anchor { anchors[anchor] = node }
        return node
    }

    /// A literal (`|`) or folded (`>`) block scalar whose lines follow the current position.
    private mutating func blockScalar(header: String, ownerIndent: Int, line: Int) throws -> YAMLNode {
        let folded = header.first == ">"
        let indicator = header.dropFirst()
        let chomping: Character?
        switch indicator {
        case "": chomping = nil
        case "-", "+": chomping = indicator.first
        default: throw Failure(line: line, message: "block scalar header \"\(header)\" is not supported")
        }
        var body: [String] = []
        var blockIndent: Int?
        while position < lines.count {
            let raw = lines[position].raw
            let blank = raw.allSatisfy { $0 == " " }
            let rawIndent = raw.prefix { $0 == " " }.count
            if !blank {
                if blockIndent == nil {
                    guard rawIndent > ownerIndent else { break }
                    blockIndent = rawIndent
                }
                if rawIndent < blockIndent! { break }
            }
            body.append(blank ? "" : String(raw.dropFirst(blockIndent!)))
            position += 1
        }
        // Trailing blank lines belong to the chomping, not to the content.
        var trailingBlanks = 0
        while body.last == "" {
            body.removeLast()
            trailingBlanks += 1
        }
        var text = folded ? Self.fold(body) : body.joined(separator: "\n")
        if !body.isEmpty {
            switch chomping {
            case "-": break
            case "+": text += String(repeating: "\n", count: 1 + trailingBlanks)
            default: text += "\n"
            }
        }
        return .scalar(text)
    }

    /// Folded-scalar lines joined: a line break between two normal lines becomes a space,
    /// blank lines become line breaks, and more-indented lines keep their breaks.
    private static func fold(_ lines: [String]) -> String {
        var result = ""
        var blanks = 0
        var previousNormal: Bool?
        for line in lines {
            if line.isEmpty {
                blanks += 1
                continue
            }
            let normal = !line.hasPrefix(" ")
            if let previous = previousNormal {
                if previous && normal {
                    result += blanks == 0 ? " " : String(repeating: "\n", count: blanks)
                } else {
                    result += String(repeating: "\n", count: 1 + blanks)
                }
            }
            result += line
            blanks = 0
            previousNormal = normal
        }
        return result
    }

    /// The key of a `key: value` line and the text after the colon, or nil when the line is
    /// not a mapping entry.
    private static func mappingKey(in text: String, line: Int) throws -> (String, String)? {
        guard let first = text.first else { return nil }
        if first == "\"" || first == "'" {
            var cursor = InlineCursor(text: text, line: line)
            let key = try cursor.quoted()
            cursor.skipBlanks()
            guard cursor.peek == ":" else { return nil }
            cursor.advance()
            guard cursor.atEnd || cursor.peek == " " else { return nil }
            return (key, cursor.remainder.trimmingBlanks())
        }
        if "[{&*|>!%@`".contains(first) { return nil }
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " {
                    let key = String(text[..<index]).trimmingBlanks()
                    guard !key.isEmpty else { return nil }
                    return (key, String(text[next...]).trimmingBlanks())
                }
            }
            index = text.index(after: index)
        }
        return nil
    }

    // MARK: Inline values

    private mutating func inlineNode(_ cursor: inout InlineCursor, inFlow: Bool) throws -> YAMLNode {
        cursor.skipBlanks()
        guard let first = cursor.peek else { return .null }
        switch first {
        case "[":
            cursor.advance()
            var items: [YAMLNode] = []
            cursor.skipBlanks()
            if cursor.peek == "]" {
                cursor.advance()
                return .sequence([])
            }
            while true {
                items.append(try inlineNode(&cursor, inFlow: true))
                cursor.skipBlanks()
                guard let next = cursor.peek else { throw cursor.failure("unterminated flow sequence (multi-line flow is not supported)") }
                cursor.advance()
                if next == "]" { return .sequence(items) }
                guard next == "," else { throw cursor.failure("expected , or ] in a flow sequence") }
                cursor.skipBlanks()
                if cursor.peek == "]" {
                    cursor.advance()
                    return .sequence(items)
                }
            }
        case "{":
            cursor.advance()
            var mapping = YAMLMapping()
            cursor.skipBlanks()
            if cursor.peek == "}" {
                cursor.advance()
                return .mapping(mapping)
            }
            while true {
                cursor.skipBlanks()
                let key: String
                if cursor.peek == "\"" || cursor.peek == "'" {
                    key = try cursor.quoted()
                } else {
                    key = cursor.plain(stoppingAtColon: true)
                }
                cursor.skipBlanks()
                guard cursor.peek == ":" else { throw cursor.failure("expected : after key \"\(key)\" in a flow mapping") }
                cursor.advance()
                let node = try inlineNode(&cursor, inFlow: true)
                if mapping.contains(key) { throw cursor.failure("duplicate key \"\(key)\"") }
                mapping.entries.append(.init(key: key, value: node))
                cursor.skipBlanks()
                guard let next = cursor.peek else { throw cursor.failure("unterminated flow mapping (multi-line flow is not supported)") }
                cursor.advance()
                if next == "}" { return .mapping(mapping) }
                guard next == "," else { throw cursor.failure("expected , or } in a flow mapping") }
            }
        case "\"", "'":
            return .scalar(try cursor.quoted())
        case "*":
            cursor.advance()
            let name = cursor.plain(stoppingAtColon: false, stopCharacters: inFlow ? ",]} " : " ")
            guard let node = anchors[name] else { throw cursor.failure("unknown alias *\(name)") }
            return node
        default:
            let text = inFlow ? cursor.plain(stoppingAtColon: false, stopCharacters: ",]}") : cursor.rest()
            return text == "~" || text == "null" ? .null : .scalar(text)
        }
    }
}

/// A position in one line's inline value.
private struct InlineCursor {
    let characters: [Character]
    let line: Int
    var index = 0

    init(text: String, line: Int) {
        self.characters = Array(text)
        self.line = line
    }

    var atEnd: Bool { index >= characters.count }
    var peek: Character? { atEnd ? nil : characters[index] }
    var remainder: String { String(characters[min(index, characters.count)...]) }

    mutating func advance() { index += 1 }

    mutating func skipBlanks() {
        while let character = peek, character == " " || character == "\t" { advance() }
    }

    func failure(_ message: String) -> YAMLReader.Failure {
        YAMLReader.Failure(line: line, message: message)
    }

    /// The rest of the line, trimmed.
    mutating func rest() -> String {
        let text = remainder.trimmingBlanks()
        index = characters.count
        return text
    }

    /// A plain scalar up to a stop character (or `: ` when `stoppingAtColon`), trimmed.
    mutating func plain(stoppingAtColon: Bool, stopCharacters: String = ",]}") -> String {
        var text = ""
        while let character = peek {
            if stopCharacters.contains(character) { break }
            if stoppingAtColon && character == ":" {
                let next = index + 1 < characters.count ? characters[index + 1] : " "
                if next == " " || next == "," || next == "}" { break }
            }
            text.append(character)
            advance()
        }
        return text.trimmingBlanks()
    }

    /// A single- or double-quoted scalar, quotes and escapes resolved.
    mutating func quoted() throws -> String {
        guard let open = peek else { throw failure("expected a quoted string") }
        advance()
        var text = ""
        while let character = peek {
            advance()
            if character == open {
                if open == "'" && peek == "'" {
                    text.append("'")
                    advance()
                    continue
                }
                return text
            }
            if open == "\"" && character == "\\" {
                guard let escaped = peek else { break }
                advance()
                switch escaped {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "0": text.append("\0")
                case "\"", "\\", "/", " ": text.append(escaped)
                case "u":
                    let hex = String(characters[index..<min(index + 4, characters.count)])
                    guard hex.count == 4, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw failure("bad \\u escape")
                    }
                    text.unicodeScalars.append(scalar)
                    index += 4
                default: throw failure("unsupported escape \\\(escaped)")
                }
                continue
            }
            text.append(character)
        }
        throw failure("unterminated quoted string (multi-line quoted scalars are not supported)")
    }
}
