import ClientDomain
import Foundation
import HTTP
import Identity

/// Schemas several APIs share: text within a `TextLimit`, ids, comma lists.
///
/// Each states the server's rule exactly, so that what the schema accepts the server accepts
/// and what it refuses the server refuses: lengths in Unicode code points (what `maxLength`
/// counts and `TextLimit` counts), the refused characters as a character class built from
/// `TextLimit.refusedScalars`, "not blank" as a class built from Unicode's White_Space.
extension OpenAPIDocument {
    /// A string within `limit`: at most `maxCharacters` code points, none of the characters
    /// the limit refuses; `notBlank` requires a character that is not white space (as
    /// `TextLimit.isBlank` decides). A byte limit below 4 per character, which no
    /// schema keyword can state, is in the description.
    static func text(_ limit: TextLimit, nullable: Bool = false, notBlank: Bool = false) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": nullable ? ["string", "null"] : "string",
            "maxLength": .int(Int64(limit.maxCharacters)),
            // `type` inside: a `not` of a bare `pattern` would refuse `null` (and every
            // non-string), which a pattern does not apply to.
            "not": ["type": "string", "pattern": .string(characterClass(TextLimit.refusedScalars(multiLine: limit.multiLine)))],
        ]
        if notBlank {
            schema["minLength"] = 1
            schema["pattern"] = .string(characterClass(whiteSpace, negated: true))
        }
        var rules = ["No control characters\(limit.multiLine ? " but line feed and tab" : "") or Unicode noncharacters"]
        if limit.maxBytes < 4 * limit.maxCharacters { rules.append("at most \(limit.maxBytes) bytes of UTF-8") }
        if notBlank { rules.append("not only white space") }
        schema["description"] = .string(rules.joined(separator: "; "))
        return .object(schema)
    }

    /// A regular-expression character class of `ranges` (code points), for JSON Schema's
    /// ECMA-262 dialect and Python's `re` alike: `\uXXXX` escapes in the Basic Multilingual
    /// Plane, the characters themselves above it (both dialects read a literal astral
    /// character in a class as one character; neither shares an escape for it).
    static func characterClass(_ ranges: [ClosedRange<UInt32>], negated: Bool = false) -> String {
        func spelled(_ value: UInt32) -> String {
            guard value > 0xFFFF, let scalar = Unicode.Scalar(value) else {
                let hex = String(value, radix: 16, uppercase: true)
                return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            }
            return String(Character(scalar))
        }
        let body = ranges.map { $0.count == 1 ? spelled($0.lowerBound) : spelled($0.lowerBound) + "-" + spelled($0.upperBound) }
        return "[" + (negated ? "^" : "") + body.joined() + "]"
    }

    /// Unicode's White_Space characters (`Unicode.Scalar.Properties.isWhitespace`): what
    /// `TextLimit.isBlank` tests.
    static let whiteSpace = codePoints { $0.properties.isWhitespace }

    /// What the identity store trims around names and emails (Foundation's
    /// `whitespacesAndNewlines`: White_Space, and on Linux also U+200B).
    static let trimmedByIdentity = codePoints { CharacterSet.whitespacesAndNewlines.contains($0) }

    /// What the leads API trims around an email (Foundation's `whitespaces`: tab and the
    /// space separators, and on Linux also U+200B).
    static let spaceSeparators = codePoints { CharacterSet.whitespaces.contains($0) }

    /// The code points of the Basic Multilingual Plane `member` holds for, as ranges. (Read
    /// from the same predicates the server uses, so the document states what this build does;
    /// none of these classes has a member beyond the plane, as `SchemaAgreementTests` checks.)
    static func codePoints(where member: (Unicode.Scalar) -> Bool) -> [ClosedRange<UInt32>] {
        var ranges: [ClosedRange<UInt32>] = []
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value), member(scalar) else { continue }
            if let last = ranges.last, last.upperBound + 1 == value {
                ranges[ranges.count - 1] = last.lowerBound...value
            } else {
                ranges.append(value...value)
            }
        }
        return ranges
    }

    /// The characters of an email's local part (visible ASCII but `@`: `APIText`) and of a
    /// domain label (also not `.`).
    static let emailLocalCharacters = characterClass([0x21...0x3F, 0x41...0x7E])
    static let emailLabelCharacters = characterClass([0x21...0x2D, 0x2F...0x3F, 0x41...0x7E])

    /// A client's email within `limit`, as the APIs read it (`ClientFieldLimits.looksLikeEmail`
    /// in visible ASCII, `APIText`): a local part, `@`, and a domain of two or more
    /// dot-separated labels. With `trimmed`, characters of that class may surround it (the
    /// leads API trims them, and holds only what is left to the limit).
    static func clientEmail(_ limit: TextLimit, trimmed padding: [ClosedRange<UInt32>] = []) -> JSONValue {
        let pad = padding.isEmpty ? "" : characterClass(padding) + "*"
        let shape = "^\(pad)\(emailLocalCharacters)+@\(emailLabelCharacters)+(?:\\.\(emailLabelCharacters)+)+\(pad)$"
        let description = "An email address in ASCII (so its \(limit.maxBytes)-byte limit is \(limit.maxBytes) characters): "
            + "a local part, `@`, a domain with a dot" + (padding.isEmpty ? "" : "; spaces and tabs around it are trimmed")
        guard !padding.isEmpty else {
            return ["type": "string", "maxLength": .int(Int64(limit.maxCharacters)), "pattern": .string(shape),
                    "description": .string(description)]
        }
        return ["type": "string", "pattern": .string(shape), "description": .string(description),
                "allOf": [["pattern": .string("^\(pad)[!-~]{1,\(limit.maxCharacters)}\(pad)$")]]]
    }

    /// An http(s) URL within `limit`, as `AdminClientInput.isWebURL` reads it: `http://` or
    /// `https://` (any case), then a host that starts with none of `/?#@:`, no white space.
    static func webURL(_ limit: TextLimit, nullable: Bool) -> JSONValue {
        let refused = whiteSpace + TextLimit.refusedScalars(multiLine: false)
        let rest = characterClass(refused, negated: true)
        let hostStart = characterClass([0x23...0x23, 0x2F...0x2F, 0x3A...0x3A, 0x3F...0x3F, 0x40...0x40] + refused, negated: true)
        return [
            "type": nullable ? ["string", "null"] : "string", "maxLength": .int(Int64(limit.maxCharacters)),
            "pattern": .string("^[Hh][Tt][Tt][Pp][Ss]?://\(hostStart)\(rest)*$"),
            "description": "An http(s) URL; no white space, control characters or noncharacters",
        ]
    }

    /// A password as `IdentityStore.checkPassword` takes it: any characters, at least
    /// `User.minPasswordLength` code points and at most `User.maxPasswordLength` bytes.
    static var password: JSONValue {
        ["type": "string", "minLength": .int(Int64(User.minPasswordLength)),
         "description": .string("At least \(User.minPasswordLength) characters and at most \(User.maxPasswordLength) bytes of UTF-8")]
    }

    /// `schema` that also takes `null`.
    static func orNull(_ schema: JSONValue) -> JSONValue {
        guard case .object(var object) = schema else { return schema }
        switch object["type"] {
        case .string(let type)?: object["type"] = [.string(type), "null"]
        case .array(let types)? where !types.contains("null"): object["type"] = .array(types + ["null"])
        case nil: return ["anyOf": [schema, ["type": "null"]]]
        default: break
        }
        return .object(object)
    }

    static let uuid: JSONValue = ["type": "string", "format": "uuid"]

    /// A moment as `Timestamp.parse` reads it: an RFC 3339 date-time or a plain date.
    static let moment: JSONValue = ["anyOf": [["type": "string", "format": "date-time", "maxLength": .int(Int64(Timestamp.maxParsedLength))],
                                              ["type": "string", "format": "date"]]]

    /// A query parameter's `schema` that may also be empty, which the API reads as left out.
    static func orEmpty(_ schema: JSONValue) -> JSONValue {
        ["anyOf": [schema, ["type": "string", "maxLength": 0]]]
    }

    /// A positive 64-bit integer (a public number: a lead, a user, a company).
    static let positiveNumber: JSONValue = ["type": "integer", "minimum": 1, "maximum": .int(Int64.max)]

    /// A query parameter holding a comma-separated list (`a,b`: OpenAPI's `form` style,
    /// not exploded) of 1 to `maxItems` of `values`.
    static func listParameter(_ name: String, _ values: [String], maxItems: Int? = nil, _ description: String) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "array", "minItems": 1, "items": ["enum": .array(values.map(JSONValue.string))]]
        if let maxItems { schema["maxItems"] = .int(Int64(maxItems)) }
        return ["name": .string(name), "in": "query", "required": false, "style": "form", "explode": false,
                "schema": .object(schema), "description": .string(description)]
    }
}
