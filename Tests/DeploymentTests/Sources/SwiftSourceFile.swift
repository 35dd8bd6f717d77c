import Foundation

/// One Swift file cut into functions, each with the environment variables it reads and the
/// functions it calls: enough to follow which shared code a service runs.
///
/// The file is read with comments and string contents blanked out (the "code mask"), so
/// braces, calls and reads inside comments or strings are not taken for code. Reads are
/// calls of an `EnvironmentReader` method whose first argument is a string literal
/// (`environment.int("HTTP_PORT", default: 8080, …)`) and `values["NAME"]` subscripts.
struct SwiftSourceFile {
    /// A function (or initializer) body, or the code of the file outside any function.
    struct Unit {
        /// The innermost type or extension it is declared in.
        var typeName: String?
        /// Nil for code outside any function (top-level code, stored properties).
        var name: String?
        var file: String
        /// Declared `static` (or `class`): called through its type.
        var isStatic = false
        var reads: [EnvironmentRead] = []
        var calls: [Call] = []
        /// `prefix: String = "KAFKA_"` on a function taking a `[String: String]` environment:
        /// it reads every variable with that prefix.
        var prefixRead: String?
    }

    /// A call site: `Type.name(`, `Type(` (name `init`), or `.name(` / `name(` (no type).
    struct Call: Hashable {
        var typeName: String?
        var name: String
        /// For a call without a receiver (`name(`), the type it is written in: it may call a
        /// static function of that type.
        var callerType: String?
    }

    /// Something in the file that hides a variable from this scan.
    struct Opaque: CustomStringConvertible {
        var file: String
        var line: Int
        var what: String
        var description: String { "\(file):\(line): \(what)" }
    }

    let path: String
    private(set) var units: [Unit] = []
    private(set) var opaque: [Opaque] = []
    /// Whether this file declares `EnvironmentReader` itself.
    let declaresEnvironmentReader: Bool

    /// Scans `text`; `readerMethods` maps each `EnvironmentReader` method name to whether it
    /// takes a default (see `EnvironmentReaderMethods`).
    init(path: String, text: String, readerMethods: [String: Bool]) {
        self.path = path
        let original = text as NSString
        let maskUnits = Self.mask(Array(text.utf16))
        let mask = NSString(characters: maskUnits, length: maskUnits.count)
        declaresEnvironmentReader = Self.matches(#"\bstruct\s+EnvironmentReader\b"#, in: mask).isEmpty == false

        let types = Self.typeRanges(in: mask)
        let functions = Self.functionRanges(in: mask)
        var units = functions.map { function -> Unit in
            let type = types.filter { NSLocationInRange(function.declaration, $0.body) }.min { $0.body.length < $1.body.length }
            var unit = Unit(typeName: type?.name, name: function.name, file: path)
            let lineStart = mask.lineRange(for: NSRange(location: function.declaration, length: 0)).location
            let modifiers = mask.substring(with: NSRange(location: lineStart, length: function.declaration - lineStart))
            unit.isStatic = modifiers.contains("static ") || modifiers.contains("class ")
            let signature = original.substring(with: NSRange(location: function.declaration,
                                                               length: function.body.location - function.declaration))
            if signature.contains("[String: String]"),
               let match = Self.matches(#"prefix:\s*String\s*=\s*"([A-Z][A-Z0-9_]*)""#, in: signature as NSString).first {
                unit.prefixRead = (signature as NSString).substring(with: match.range(at: 1))
            }
            return unit
        }
        var topLevel = Unit(typeName: nil, name: nil, file: path)
        func unitIndex(at location: Int) -> Int? {
            functions.indices.filter { NSLocationInRange(location, functions[$0].body) }
                .min { functions[$0].body.length < functions[$1].body.length }
        }
        func lineNumber(_ location: Int) -> Int {
            original.substring(to: location).reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        }

        // Reads with a literal name.
        let methods = readerMethods.keys.sorted().joined(separator: "|")
        for match in Self.matches(#"\.(\#(methods))\(\s*"([A-Z][A-Z0-9_]*)""#, in: original)
        where Self.isCode(match.range.location, maskUnits) {
            let method = original.substring(with: match.range(at: 1))
            let callEnd = Self.closingParenthesis(in: maskUnits, openingAt: match.range(at: 1).location + match.range(at: 1).length)
            let arguments = original.substring(with: NSRange(location: match.range.location,
                                                             length: max(0, callEnd - match.range.location)))
            let read = EnvironmentRead(name: original.substring(with: match.range(at: 2)),
                                       hasDefault: readerMethods[method] ?? false,
                                       defaultValue: EnvironmentRead.defaultValue(inArguments: arguments),
                                       location: "\(path):\(lineNumber(match.range.location))")
            if let index = unitIndex(at: match.range.location) { units[index].reads.append(read) } else { topLevel.reads.append(read) }
        }
        for match in Self.matches(#"\bvalues\[\s*"([A-Z][A-Z0-9_]*)"\s*\]"#, in: original)
        where Self.isCode(match.range.location, maskUnits) {
            let read = EnvironmentRead(name: original.substring(with: match.range(at: 1)), hasDefault: true, defaultValue: nil,
                                       location: "\(path):\(lineNumber(match.range.location))")
            if let index = unitIndex(at: match.range.location) { units[index].reads.append(read) } else { topLevel.reads.append(read) }
        }

        // Reads this scan cannot name.
        if !declaresEnvironmentReader {
            let hidden: [(String, String)] = [
                (#"\benvironment\.(\#(methods))\(\s*[^"\s)]"#, "an EnvironmentReader read whose name is not a string literal"),
                (#"\benvironment\.values\[\s*[^"\s]"#, "an environment subscript whose name is not a string literal"),
                (#"ProcessInfo\.processInfo\.environment\b"#, "the process environment read directly, not through EnvironmentReader"),
                (#"\b(getenv|secure_getenv)\s*\("#, "getenv instead of EnvironmentReader"),
            ]
            for (pattern, what) in hidden {
                for match in Self.matches(pattern, in: mask) {
                    opaque.append(Opaque(file: path, line: lineNumber(match.range.location), what: what))
                }
            }
        }

        // Calls.
        for match in Self.matches(#"(?:\b([A-Z][A-Za-z0-9_]*)\s*\.\s*)?\b([A-Za-z_][A-Za-z0-9_]*)\s*\("#, in: mask) {
            let name = mask.substring(with: match.range(at: 2))
            let typeName = match.range(at: 1).location == NSNotFound ? nil : mask.substring(with: match.range(at: 1))
            let enclosing = types.filter { NSLocationInRange(match.range.location, $0.body) }.min { $0.body.length < $1.body.length }
            let call: Call
            if let typeName { call = Call(typeName: typeName, name: name, callerType: typeName == "Self" ? enclosing?.name : nil) }
            else if name.first?.isUppercase == true { call = Call(typeName: name, name: "init") }
            else {
                var before = match.range.location - 1
                while before >= 0 && (maskUnits[before] == Self.space || maskUnits[before] == Self.newline) { before -= 1 }
                let hasReceiver = before >= 0 && maskUnits[before] == Self.ascii(".")
                call = Call(typeName: nil, name: name, callerType: hasReceiver ? nil : enclosing?.name)
            }
            if let index = unitIndex(at: match.range.location) { units[index].calls.append(call) } else { topLevel.calls.append(call) }
        }
        units.append(topLevel)
        self.units = units
    }

    // MARK: Masking

    private static let newline = UInt16(UInt8(ascii: "\n"))
    private static let space = UInt16(UInt8(ascii: " "))
    private static func ascii(_ character: Unicode.Scalar) -> UInt16 { UInt16(character.value) }

    private static func isCode(_ location: Int, _ mask: [UInt16]) -> Bool {
        location < mask.count && mask[location] != space
    }

    /// `source` with comments and string-literal contents (interpolations included) replaced by
    /// spaces; line breaks and the quotes themselves stay, so offsets and lines still match.
    static func mask(_ source: [UInt16]) -> [UInt16] {
        var out = source
        func blank(_ range: Range<Int>) {
            for index in range where index < out.count && out[index] != newline { out[index] = space }
        }
        var index = 0
        while index < source.count {
            let unit = source[index]
            let next = index + 1 < source.count ? source[index + 1] : 0
            if unit == ascii("/") && next == ascii("/") {
                let start = index
                while index < source.count && source[index] != newline { index += 1 }
                blank(start..<index)
            } else if unit == ascii("/") && next == ascii("*") {
                let start = index
                var depth = 0
                while index < source.count {
                    if source[index] == ascii("/") && index + 1 < source.count && source[index + 1] == ascii("*") {
                        depth += 1
                        index += 2
                    } else if source[index] == ascii("*") && index + 1 < source.count && source[index + 1] == ascii("/") {
                        depth -= 1
                        index += 2
                        if depth == 0 { break }
                    } else {
                        index += 1
                    }
                }
                blank(start..<index)
            } else if unit == ascii("\"") || unit == ascii("#") {
                var quote = index
                while quote < source.count && source[quote] == ascii("#") { quote += 1 }
                guard quote < source.count && source[quote] == ascii("\"") else {
                    index = quote + (quote == index ? 1 : 0)
                    continue
                }
                let literal = stringLiteral(in: source, quoteAt: quote, hashes: quote - index)
                blank(literal.contents)
                index = literal.end
            } else {
                index += 1
            }
        }
        return out
    }

    /// The contents and the end (just past the closing delimiter) of the string literal whose
    /// first quote is at `quote`.
    private static func stringLiteral(in source: [UInt16], quoteAt quote: Int, hashes: Int) -> (contents: Range<Int>, end: Int) {
        let quoteUnit = ascii("\"")
        let multiline = quote + 2 < source.count && source[quote + 1] == quoteUnit && source[quote + 2] == quoteUnit
        let delimiter = multiline ? 3 : 1
        let start = quote + delimiter
        func hashesFollow(_ at: Int) -> Bool {
            guard at + hashes <= source.count else { return false }
            return (0..<hashes).allSatisfy { source[at + $0] == ascii("#") }
        }
        var index = start
        while index < source.count {
            let unit = source[index]
            if unit == ascii("\\") && hashesFollow(index + 1) {
                let after = index + 1 + hashes
                if after < source.count && source[after] == ascii("(") {
                    index = closingParenthesis(in: source, openingAt: after) + 1
                } else {
                    index = after + 1
                }
                continue
            }
            if unit == quoteUnit {
                let closes = !multiline || (index + 2 < source.count && source[index + 1] == quoteUnit && source[index + 2] == quoteUnit)
                if closes && hashesFollow(index + delimiter) {
                    return (start..<index, index + delimiter + hashes)
                }
            }
            if unit == newline && !multiline { return (start..<index, index) }
            index += 1
        }
        return (start..<source.count, source.count)
    }

    /// The index of the `)` matching the `(` at `opening` (string literals inside skipped), or
    /// the end of the text.
    static func closingParenthesis(in source: [UInt16], openingAt opening: Int) -> Int {
        var depth = 0
        var index = opening
        while index < source.count {
            let unit = source[index]
            if unit == ascii("(") { depth += 1 }
            else if unit == ascii(")") {
                depth -= 1
                if depth == 0 { return index }
            } else if unit == ascii("\"") {
                index = stringLiteral(in: source, quoteAt: index, hashes: 0).end
                continue
            }
            index += 1
        }
        return source.count
    }

    // MARK: Declarations

    private struct TypeRange {
        var name: String
        var body: NSRange
    }

    private struct FunctionRange {
        var name: String
        var declaration: Int
        var body: NSRange
    }

    private static func typeRanges(in mask: NSString) -> [TypeRange] {
        matches(#"\b(?:struct|enum|class|actor|extension|protocol)\s+([A-Za-z_][A-Za-z0-9_.]*)"#, in: mask).compactMap { match in
            let name = mask.substring(with: match.range(at: 1))
            guard !["func", "var", "let"].contains(name) else { return nil }
            let open = mask.range(of: "{", range: NSRange(location: match.range.location + match.range.length,
                                                          length: mask.length - match.range.location - match.range.length))
            guard open.location != NSNotFound else { return nil }
            return TypeRange(name: name.split(separator: ".").last.map(String.init) ?? name,
                             body: NSRange(location: open.location, length: closingBrace(in: mask, openingAt: open.location) - open.location + 1))
        }
    }

    private static func functionRanges(in mask: NSString) -> [FunctionRange] {
        let units = Array((mask as String).utf16)
        let pattern = #"(?:\bfunc\s+([A-Za-z_][A-Za-z0-9_]*)|(?<![.\w])(init)[?!]?)\s*(?:<[^{(]*>)?\s*\("#
        return matches(pattern, in: mask).compactMap { match in
            let nameRange = match.range(at: 1).location != NSNotFound ? match.range(at: 1) : match.range(at: 2)
            let parametersClose = closingParenthesis(in: units, openingAt: match.range.location + match.range.length - 1)
            guard parametersClose < units.count else { return nil }
            let afterParameters = NSRange(location: parametersClose + 1, length: mask.length - parametersClose - 1)
            let open = mask.range(of: "{", range: afterParameters)
            guard open.location != NSNotFound else { return nil }
            // A requirement without a body (in a protocol) is followed by another declaration first.
            let between = mask.substring(with: NSRange(location: parametersClose + 1, length: open.location - parametersClose - 1))
            if between.contains("}") || between.contains("=")
                || !matches(#"\b(func|var|let|case|init|subscript|static|struct|enum|class)\b"#, in: between as NSString).isEmpty {
                return nil
            }
            return FunctionRange(name: mask.substring(with: nameRange), declaration: match.range.location,
                                 body: NSRange(location: open.location, length: closingBrace(in: mask, openingAt: open.location) - open.location + 1))
        }
    }

    private static func closingBrace(in mask: NSString, openingAt opening: Int) -> Int {
        var depth = 0
        var index = opening
        while index < mask.length {
            let unit = mask.character(at: index)
            if unit == ascii("{") { depth += 1 }
            else if unit == ascii("}") {
                depth -= 1
                if depth == 0 { return index }
            }
            index += 1
        }
        return mask.length - 1
    }

    static func matches(_ pattern: String, in text: NSString) -> [NSTextCheckingResult] {
        // The patterns are fixed strings of this file.
        let expression = try! NSRegularExpression(pattern: pattern)
        return expression.matches(in: text as String, range: NSRange(location: 0, length: text.length))
    }
}
