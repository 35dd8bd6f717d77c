/// How long one free-text field may be, and which characters it may hold.
///
/// Length is limited twice: in characters and in UTF-8 bytes (what the stores hold). A
/// character here is a Unicode scalar (a code point): what JSON Schema's `maxLength` counts,
/// so the OpenAPI document can state the limit exactly. (Swift's `String.count` counts
/// grapheme clusters instead, and "a" followed by 3,000 combining marks is one of those but
/// 3,001 code points and about 6 KB.) The byte limit defaults to 4 bytes per character, which
/// no text within the character limit can exceed; a field with a tighter byte limit (email)
/// says so.
///
/// Refused characters, anywhere in the text (`refusedScalars`):
/// - control characters: C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F); a
///   multi-line field keeps line feed (U+000A) and tab (U+0009), and still refuses carriage
///   return (PostgreSQL's `text` and `jsonb` refuse U+0000 outright);
/// - Unicode noncharacters (U+FDD0–U+FDEF and the last two code points of every plane,
///   U+FFFE, U+FFFF, …, U+10FFFF): reserved for a program's internal use, never text.
///
/// Lone UTF-16 surrogates never reach a field: `JSONParser` refuses a lone `\uD800`-style
/// escape and invalid UTF-8, and a Swift `String` cannot hold one. Format characters such as
/// right-to-left marks, zero-width joiners and the byte-order mark are text and are kept.
public struct TextLimit: Sendable, Equatable {
    public var maxCharacters: Int
    public var maxBytes: Int
    /// Whether line feed and tab are allowed.
    public var multiLine: Bool

    /// `bytes` defaults to 4 × `characters`.
    public init(characters: Int, bytes: Int? = nil, multiLine: Bool = false) {
        maxCharacters = characters
        maxBytes = bytes ?? 4 * characters
        self.multiLine = multiLine
    }

    /// What is wrong with `text` (a phrase to follow the field's name, such as "must be at
    /// most 200 characters"), or nil when the field may hold it.
    public func problem(_ text: String) -> String? {
        if text.unicodeScalars.count > maxCharacters { return "must be at most \(maxCharacters) characters" }
        if text.utf8.count > maxBytes { return "must be at most \(maxBytes) bytes of UTF-8" }
        var noncharacter = false
        for scalar in text.unicodeScalars {
            if Self.isControl(scalar, multiLine: multiLine) {
                return multiLine ? "must not contain control characters (other than line feed and tab)"
                                 : "must not contain control characters"
            }
            if Self.isNoncharacter(scalar) { noncharacter = true }
        }
        return noncharacter ? "must not contain Unicode noncharacters" : nil
    }

    /// Whether `scalar` is a Unicode noncharacter: U+FDD0...U+FDEF and the last two code points
    /// of every plane, a set Unicode guarantees never to change. Arithmetic, not
    /// `properties.isNoncharacterCodePoint`, whose table lookup was most of a text check's cost.
    @inline(__always)
    public static func isNoncharacter(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return (0xFDD0...0xFDEF).contains(value) || value & 0xFFFE == 0xFFFE
    }

    /// Every character a field refuses, as ranges of code points (ascending): the control
    /// characters (`isControl`) and the noncharacters. The OpenAPI document states the rule
    /// with these ranges, so the two cannot drift apart.
    public static func refusedScalars(multiLine: Bool) -> [ClosedRange<UInt32>] {
        let controls: [ClosedRange<UInt32>] = multiLine ? [0x00...0x08, 0x0B...0x1F, 0x7F...0x9F] : [0x00...0x1F, 0x7F...0x9F]
        let planeEnds = (0...0x10 as ClosedRange<UInt32>).map { plane -> ClosedRange<UInt32> in
            (plane << 16 | 0xFFFE)...(plane << 16 | 0xFFFF)
        }
        return controls + [0xFDD0...0xFDEF] + planeEnds
    }

    /// Whether `text` is empty or only white space, code point by code point (Unicode's
    /// White_Space): the rule for fields that must not be blank. (Swift's
    /// `Character.isWhitespace` calls a space followed by a combining mark white space; a
    /// schema, counting code points, cannot.)
    public static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy(\.properties.isWhitespace)
    }

    /// Whether `scalar` is a control character this field refuses.
    public static func isControl(_ scalar: Unicode.Scalar, multiLine: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: !multiLine
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }
}
