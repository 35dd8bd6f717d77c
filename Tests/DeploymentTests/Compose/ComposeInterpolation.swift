/// Compose's variable interpolation in values: `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`,
/// `${NAME-default}`, `${NAME:?message}`, `${NAME?message}`, `${NAME:+other}`, `${NAME+other}`.
///
/// A `$` followed by anything else is an error, as it is for compose ("invalid interpolation
/// format"): a shell `$(…)` in a command must be written `$$(…)`.
enum ComposeInterpolation {
    /// One `${…}` or `$NAME` in a value.
    struct Reference: Equatable {
        enum Kind: Equatable {
            /// `$NAME` or `${NAME}`: empty when unset.
            case plain
            /// `${NAME:-default}` or `${NAME-default}`.
            case defaulted(String)
            /// `${NAME:?message}` or `${NAME?message}`: compose refuses to start without it.
            case required
            /// `${NAME:+other}` or `${NAME+other}`.
            case alternative
        }

        var name: String
        var kind: Kind
    }

    /// A value compose would refuse.
    struct Failure: Error, CustomStringConvertible, Equatable {
        var description: String
    }

    /// Every reference in `text`.
    static func references(in text: String) throws -> [Reference] {
        var references: [Reference] = []
        _ = try walk(Array(text), environment: [:], missingRequired: { "<\($0)>" }, references: &references)
        return references
    }

    /// `text` as compose would pass it on with `environment` as the host's variables; a missing
    /// required variable gives `missingRequired(name)` instead of failing.
    static func evaluate(_ text: String, environment: [String: String],
                         missingRequired: (String) -> String = { "<\($0)>" }) throws -> String {
        var references: [Reference] = []
        return try walk(Array(text), environment: environment, missingRequired: missingRequired, references: &references)
    }

    private static func walk(_ characters: [Character], environment: [String: String], missingRequired: (String) -> String,
                             references: inout [Reference]) throws -> String {
        var output = ""
        var index = 0
        func isNameStart(_ character: Character) -> Bool { character == "_" || (character.isASCII && character.isLetter) }
        func isName(_ character: Character) -> Bool { isNameStart(character) || (character.isASCII && character.isNumber) }
        while index < characters.count {
            let character = characters[index]
            guard character == "$" else {
                output.append(character)
                index += 1
                continue
            }
            guard index + 1 < characters.count else { throw Failure(description: "a lone $ at the end of \"\(String(characters))\"") }
            let next = characters[index + 1]
            if next == "$" {
                output.append("$")
                index += 2
            } else if isNameStart(next) {
                var end = index + 1
                while end < characters.count && isName(characters[end]) { end += 1 }
                let name = String(characters[(index + 1)..<end])
                references.append(Reference(name: name, kind: .plain))
                output += environment[name] ?? ""
                index = end
            } else if next == "{" {
                var depth = 1
                var end = index + 2
                while end < characters.count && depth > 0 {
                    if characters[end] == "{" { depth += 1 } else if characters[end] == "}" { depth -= 1 }
                    end += 1
                }
                guard depth == 0 else { throw Failure(description: "an unclosed ${ in \"\(String(characters))\"") }
                let inner = Array(characters[(index + 2)..<(end - 1)])
                var nameEnd = 0
                while nameEnd < inner.count && isName(inner[nameEnd]) { nameEnd += 1 }
                let name = String(inner[..<nameEnd])
                guard let first = name.first, isNameStart(first) else {
                    throw Failure(description: "invalid interpolation \"${\(String(inner))}\"")
                }
                let value = environment[name]
                let operatorAndWord = Array(inner[nameEnd...])
                if operatorAndWord.isEmpty {
                    references.append(Reference(name: name, kind: .plain))
                    output += value ?? ""
                } else {
                    let colon = operatorAndWord.first == ":"
                    let operatorIndex = colon ? 1 : 0
                    guard operatorIndex < operatorAndWord.count else { throw Failure(description: "invalid interpolation \"${\(String(inner))}\"") }
                    let word = Array(operatorAndWord[(operatorIndex + 1)...])
                    let isSet = colon ? !(value ?? "").isEmpty : value != nil
                    switch operatorAndWord[operatorIndex] {
                    case "-":
                        let fallback = try walk(word, environment: environment, missingRequired: missingRequired, references: &references)
                        references.append(Reference(name: name, kind: .defaulted(fallback)))
                        output += isSet ? value! : fallback
                    case "?":
                        references.append(Reference(name: name, kind: .required))
                        output += isSet ? value! : missingRequired(name)
                    case "+":
                        let other = try walk(word, environment: environment, missingRequired: missingRequired, references: &references)
                        references.append(Reference(name: name, kind: .alternative))
                        output += isSet ? other : ""
                    default:
                        throw Failure(description: "invalid interpolation \"${\(String(inner))}\"")
                    }
                }
                index = end
            } else {
                throw Failure(description: "invalid interpolation format at \"\(String(characters[index...].prefix(12)))\" (write $$ for a literal $)")
            }
        }
        return output
    }
}
