import Crypto
import XCTest

final class PasswordHashTests: XCTestCase {
    /// RFC 7914 §11, PBKDF2-HMAC-SHA256 with P="passwd", S="salt", c=1, dkLen=64.
    func testPBKDF2KnownVector() {
        let key = PBKDF2.deriveKey(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, byteCount: 64)
        XCTAssertEqual(Hex.encode(key), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    func testHashVerifiesOnlyTheRightPassword() throws {
        let hash = PasswordHash.make(password: "correct horse", iterations: 1_000)
        XCTAssertTrue(hash.verify("correct horse"))
        XCTAssertFalse(hash.verify("correct horse "))
        XCTAssertFalse(hash.verify(""))
        let decoded = try XCTUnwrap(PasswordHash(encoded: hash.encoded))
        XCTAssertEqual(decoded, hash)
        XCTAssertTrue(decoded.verify("correct horse"))
        XCTAssertFalse(hash.encoded.contains("correct"))
    }

    func testSaltsDiffer() {
        let a = PasswordHash.make(password: "same", iterations: 1_000)
        let b = PasswordHash.make(password: "same", iterations: 1_000)
        XCTAssertNotEqual(a.salt, b.salt)
        XCTAssertNotEqual(a.hash, b.hash)
    }

    func testMalformedEncodingsAreRejected() {
        for encoded in ["", "pbkdf2-sha256$", "md5$1$AA$AA", "pbkdf2-sha256$0$AAAA$AAAA", "pbkdf2-sha256$x$AAAA$AAAA",
                        "pbkdf2-sha256$1000$AAAA$AAAA", "pbkdf2-sha256$1000$!!$" + String(repeating: "A", count: 43)] {
            XCTAssertNil(PasswordHash(encoded: encoded), encoded)
        }
    }

    func testDefaultIterationsFollowOWASP() {
        XCTAssertGreaterThanOrEqual(PBKDF2.recommendedIterations, 600_000)
    }
}
