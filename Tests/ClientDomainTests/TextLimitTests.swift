import ClientDomain
import XCTest

/// What one text field may hold: characters (code points) and UTF-8 bytes, no control
/// characters or noncharacters, line feed and tab only in multi-line fields.
final class TextLimitTests: XCTestCase {
    let line = TextLimit(characters: 10)
    let block = TextLimit(characters: 10, multiLine: true)

    func testCharactersAndBytesAreBothLimited() {
        XCTAssertEqual(line.maxBytes, 40)
        XCTAssertNil(line.problem(String(repeating: "x", count: 10)))
        XCTAssertEqual(line.problem(String(repeating: "x", count: 11)), "must be at most 10 characters")
        // Ten astral characters are 40 bytes: exactly the default 4 per character.
        XCTAssertNil(line.problem(String(repeating: "\u{1D400}", count: 10)))
        // One grapheme cluster of 21 code points (41 bytes): a base and 20 combining marks.
        // Characters are code points, as JSON Schema's maxLength counts them.
        let marked = "a" + String(repeating: "\u{301}", count: 20)
        XCTAssertEqual(marked.count, 1)
        XCTAssertEqual(line.problem(marked), "must be at most 10 characters")
        XCTAssertNil(line.problem("a" + String(repeating: "\u{301}", count: 9)), "10 code points")
        // A byte limit tighter than 4 per character still binds.
        let tight = TextLimit(characters: 10, bytes: 12)
        XCTAssertNil(tight.problem(String(repeating: "\u{E9}", count: 6)))
        XCTAssertEqual(tight.problem(String(repeating: "\u{E9}", count: 7)), "must be at most 12 bytes of UTF-8")
        XCTAssertEqual(TextLimit(characters: 254, bytes: 254).maxBytes, 254)
    }

    func testRefusedScalarsAreExactlyWhatProblemRefuses() {
        // The OpenAPI document states the rule with these ranges.
        for multiLine in [false, true] {
            let limit = TextLimit(characters: 10, multiLine: multiLine)
            let ranges = TextLimit.refusedScalars(multiLine: multiLine)
            for value in UInt32(0)...0x10FFFF {
                guard let scalar = Unicode.Scalar(value) else { continue }
                let refused = limit.problem(String(Character(scalar))) != nil
                XCTAssertEqual(refused, ranges.contains { $0.contains(value) }, "U+\(String(value, radix: 16)), multiLine \(multiLine)")
                if refused != ranges.contains(where: { $0.contains(value) }) { return }
            }
        }
    }

    func testBlankIsWhiteSpaceCodePointByCodePoint() {
        XCTAssertTrue(TextLimit.isBlank(""))
        XCTAssertTrue(TextLimit.isBlank(" \u{A0}\u{3000}\n"))
        // A space with a combining mark is one grapheme Swift calls white space, but its mark is not.
        XCTAssertTrue(Character(" \u{301}").isWhitespace)
        XCTAssertFalse(TextLimit.isBlank(" \u{301}"))
        XCTAssertFalse(TextLimit.isBlank("\u{200B}"), "a zero-width space is a format character, not white space")
    }

    func testControlCharactersAreRefusedButLineFeedAndTabInMultiLineFields() {
        for scalar in [0x00, 0x01, 0x0D, 0x1B, 0x1F, 0x7F, 0x80, 0x85, 0x9F] as [UInt32] {
            let text = "a" + String(Unicode.Scalar(scalar)!) + "b"
            XCTAssertEqual(line.problem(text), "must not contain control characters", "U+\(String(scalar, radix: 16))")
            XCTAssertEqual(block.problem(text), "must not contain control characters (other than line feed and tab)",
                           "U+\(String(scalar, radix: 16))")
        }
        XCTAssertEqual(line.problem("a\nb"), "must not contain control characters")
        XCTAssertEqual(line.problem("a\tb"), "must not contain control characters")
        XCTAssertNil(block.problem("a\nb\tc"))
    }

    func testNoncharactersAreRefusedAndFormatCharactersKept() {
        for scalar in [0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF, 0x1FFFE, 0x10FFFF] as [UInt32] {
            XCTAssertEqual(line.problem("a" + String(Unicode.Scalar(scalar)!)), "must not contain Unicode noncharacters",
                           "U+\(String(scalar, radix: 16))")
        }
        // Right-to-left and left-to-right marks, an override, a zero-width joiner, a byte-order
        // mark, a private-use character and a line separator are text.
        for scalar in [0x200F, 0x200E, 0x202E, 0x200D, 0xFEFF, 0xE000, 0x2028, 0xA0] as [UInt32] {
            XCTAssertNil(line.problem("a" + String(Unicode.Scalar(scalar)!)), "U+\(String(scalar, radix: 16))")
        }
    }

    func testTheNoncharacterTestAgreesWithUnicodesPropertyOnEveryScalar() {
        var disagreements: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if TextLimit.isNoncharacter(scalar) != scalar.properties.isNoncharacterCodePoint { disagreements.append(value) }
        }
        XCTAssertEqual(disagreements, [])
    }
}
