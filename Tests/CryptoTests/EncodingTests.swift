import Crypto
import Foundation
import XCTest

final class EncodingTests: XCTestCase {
    func testBase64URLRoundTripsEveryLength() {
        for length in 0..<40 {
            let bytes = SecureRandom.bytes(count: length)
            let encoded = Base64URL.encode(bytes)
            XCTAssertFalse(encoded.contains("="))
            XCTAssertFalse(encoded.contains("+"))
            XCTAssertFalse(encoded.contains("/"))
            XCTAssertEqual(Base64URL.decode(encoded), bytes)
        }
    }

    func testBase64URLMatchesFoundationsBase64WithURLAlphabet() {
        for length in 0..<40 {
            let bytes = SecureRandom.bytes(count: length)
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            XCTAssertEqual(Base64URL.encode(bytes), expected)
        }
        XCTAssertEqual(Base64URL.encode([0xfb, 0xff]), "-_8")
    }

    func testBase64URLRejectsForeignCharacters() {
        XCTAssertNil(Base64URL.decode("ab+c"))
        XCTAssertNil(Base64URL.decode("ab c"))
        XCTAssertNil(Base64URL.decode("a"))
        XCTAssertNil(Base64URL.decode("ab=c"), "padding only at the end")
        XCTAssertNil(Base64URL.decode("abcd="), "no padding after a whole quantum")
        XCTAssertNil(Base64URL.decode("abc=="), "no more padding than the quantum needs")
        XCTAssertNil(Base64URL.decode("ab\u{e9}c"))
    }

    /// Padded or not, as Foundation's base64 reads it.
    func testBase64URLDecodesWithAndWithoutPadding() {
        for length in 0..<40 {
            let bytes = SecureRandom.bytes(count: length)
            let padded = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            XCTAssertEqual(Base64URL.decode(padded), bytes, padded)
            XCTAssertEqual(Base64URL.decode(Base64URL.encode(bytes)), bytes)
        }
        XCTAssertEqual(Base64URL.decode("QQ="), [0x41], "partial padding, as before")
    }

    func testRandomTokensAreDistinctAndSized() {
        let tokens = Set((0..<100).map { _ in SecureRandom.token(byteCount: 24) })
        XCTAssertEqual(tokens.count, 100)
        XCTAssertTrue(tokens.allSatisfy { Base64URL.decode($0)?.count == 24 })
    }
}
