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
    }

    func testRandomTokensAreDistinctAndSized() {
        let tokens = Set((0..<100).map { _ in SecureRandom.token(byteCount: 24) })
        XCTAssertEqual(tokens.count, 100)
        XCTAssertTrue(tokens.allSatisfy { Base64URL.decode($0)?.count == 24 })
    }
}
