import Errors
import Foundation
import HTTP
import XCTest

/// `JSONParser`: what it accepts and refuses, against RFC 8259, `JSONValue`'s serialiser
/// and `JSONDecoder`.
final class JSONParserTests: XCTestCase {
    private func parse(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    func testParsesValidDocuments() throws {
        let cases: [(String, JSONValue)] = [
            ("null", .null), ("true", true), ("false", false), (" \t\r\n 7 \n", 7), (#""""#, ""),
            ("{}", [:]), ("[]", []), (" [ ] ", []), (#"{ "a" : [ 1 , { } ] }"#, ["a": [1, [:]]]),
            (#"{"a":1,"b":{"c":[true,null,"x"]}}"#, ["a": 1, "b": ["c": [true, nil, "x"]]]),
            ("0", 0), ("-0", 0), ("-0.0", 0), ("1.0", 1), ("1e2", 100), ("1E+2", 100), ("2.5e-1", 0.25), ("-1.5", -1.5),
            ("9223372036854775807", .int(.max)), ("-9223372036854775808", .int(.min)),
            ("9223372036854775808", .number(9223372036854775808.0)), ("1e19", .number(1e19)),
            ("-9223372036854775809", .number(-9223372036854775809.0)), ("-9.223372036854776e+18", .number(-0x1p63)), ("1.7976931348623157e308", .number(.greatestFiniteMagnitude)),
            ("123456789012345678901234567890", .number(123456789012345678901234567890.0)), ("2.2250738585072014e-308", .number(.leastNormalMagnitude)),
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
            (#""\u0041\u00e9\u20AC\u0000""#, "Aé€\u{0}"),
            (#""\ud83d\ude80 \uD834\uDD1E""#, "🚀 𝄞"),
            ("\"Zoë 🚀 東京\"", "Zoë 🚀 東京"),
            ("\"a\u{7F}b\"", "a\u{7F}b"),
            (#"{"k":1,"k":2}"#, ["k": 1]),  // the first value wins, as with JSONDecoder
            (#"{"a\u0000b":1}"#, ["a\u{0}b": 1]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try parse(text), expected, text)
        }
    }

    func testRefusesInvalidDocuments() {
        let texts = [
            "", " ", "{", "}", "[", "[1,]", "[,1]", #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":}"#, "{a:1}", "{'a':1}", #"{1:2}"#,
            "[1 2]", "1 2", "{} x", "truex", "tru", "nul", "nulL", "True", "NaN", "Infinity", "-Infinity",
            "01", "-01", "-", "+1", "1.", ".5", "1e", "1e+", "0x10", "1.5.2", "--1", "1e400", "-1e400",
            #""\x""#, #""\u12""#, #""\u12g4""#, #""\U0041""#, #""\'""#, "\"abc", "\"\\", "\"a\nb\"", "\"a\tb\"", "\"\u{1F}\"",
            #""\ud800""#, #""\ud800x""#, #""\ud800\u0041""#, #""\ud800\ud800""#, #""\udc00""#, #""\ude80\ud83d""#,
            "[1]\u{0}", "\u{FEFF}1", "/* */1", "[1]//",
        ]
        for text in texts {
            XCTAssertThrowsError(try parse(text), "accepted \(text.debugDescription)")
        }
        let badUTF8: [[UInt8]] = [
            [0x22, 0xC3, 0x28, 0x22],        // truncated two-byte sequence
            [0x22, 0xC0, 0xAF, 0x22],        // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // a surrogate encoded as UTF-8
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // beyond U+10FFFF
            [0x22, 0xFF, 0x22],
            [0x22, 0x5C, 0x6E, 0xE2, 0x82, 0x22],  // after an escape: truncated three-byte sequence
            [0x7B, 0x22, 0x80, 0x22, 0x3A, 0x31, 0x7D],  // in a key
        ]
        for bytes in badUTF8 {
            XCTAssertThrowsError(try JSONParser.parse(bytes), "accepted \(bytes)")
        }
    }

    func testErrorsSayWhere() {
        XCTAssertThrowsError(try parse(#"{"a":[1,2,}"#)) { error in
            XCTAssertEqual((error as? JSONSyntaxError)?.offset, 10)
        }
        XCTAssertThrowsError(try parse(#"  "ab\q""#)) { error in
            XCTAssertEqual((error as? JSONSyntaxError)?.offset, 5)
        }
    }

    func testDepthLimit() throws {
        func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        XCTAssertNoThrow(try parse(nested(JSONParser.defaultMaxDepth)))
        XCTAssertThrowsError(try parse(nested(JSONParser.defaultMaxDepth + 1)))
        XCTAssertNoThrow(try parse(#"{"a":{"b":[1]}}"#, maxDepth: 3))
        XCTAssertThrowsError(try parse(#"{"a":{"b":[1]}}"#, maxDepth: 2))
        // Depth is nesting, not the number of containers.
        XCTAssertNoThrow(try parse("[" + Array(repeating: "[]", count: 1000).joined(separator: ",") + "]", maxDepth: 2))
        // Deep input fails cleanly rather than exhausting the stack.
        XCTAssertThrowsError(try parse(nested(100_000)))
    }

    func testParsesFromARawBuffer() throws {
        let bytes = Array(#"{"a":"b"} "#.utf8)
        let value = try bytes.withUnsafeBytes { buffer in try JSONParser.parse(buffer) }
        XCTAssertEqual(value, ["a": "b"])
    }

    /// Random values survive serialise → parse, and parse as `JSONDecoder` reads them.
    func testRoundTripsWithTheSerialiserAndAgreesWithJSONDecoder() throws {
        var random = SeededRandom(seed: 7)
        for _ in 0..<500 {
            let value = randomValue(&random, depth: 0)
            let bytes = value.serialized()
            XCTAssertEqual(try JSONParser.parse(bytes), value, String(decoding: bytes, as: UTF8.self))
            XCTAssertEqual(try JSONParser.parse(bytes), try JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
                           String(decoding: bytes, as: UTF8.self))
        }
    }

    private func randomValue(_ random: inout SeededRandom, depth: Int) -> JSONValue {
        switch random.next(upTo: depth > 3 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(random.next(upTo: 2) == 0)
        case 2:
            let magnitudes: [Int64] = [0, 1, 9, 10, 1 << 20, 1 << 53 + 1, .max]
            let value = magnitudes[random.next(upTo: magnitudes.count)] - Int64(random.next(upTo: 3))
            return .int(random.next(upTo: 2) == 0 ? value : -value)
        case 3:
            let numbers = [0.5, -1.25, 3.141592653589793, 1e-7, 6.02214076e23, -2.5e300, 1e19, 0.1, 1 / 3.0]
            return .number(numbers[random.next(upTo: numbers.count)])
        case 4, 5: return .string(randomString(&random))
        case 6: return .array((0..<random.next(upTo: 5)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<random.next(upTo: 5) { object[randomString(&random)] = randomValue(&random, depth: depth + 1) }
            return .object(object)
        }
    }

    private func randomString(_ random: inout SeededRandom) -> String {
        let pieces = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "🚀", "東", "\u{FEFF}", "\u{2028}"]
        return (0..<random.next(upTo: 8)).map { _ in pieces[random.next(upTo: pieces.count)] }.joined()
    }
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(upTo bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
