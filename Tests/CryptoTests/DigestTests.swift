import Crypto
import XCTest

final class DigestTests: XCTestCase {
    func testSHA256KnownVectors() {
        XCTAssertEqual(Hex.encode(SHA256.hash("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Hex.encode(SHA256.hash("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// RFC 4231, test case 2.
    func testHMACSHA256RFC4231() {
        let mac = HMACSHA256.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        XCTAssertEqual(Hex.encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertTrue(HMACSHA256.isValid(mac, for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
        var tampered = mac
        tampered[31] ^= 1
        XCTAssertFalse(HMACSHA256.isValid(tampered, for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
        XCTAssertFalse(HMACSHA256.isValid(mac, for: Array("what do ya want for nothing!".utf8), key: Array("Jefe".utf8)))
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(ConstantTime.equals([1, 2, 3], [1, 2]))
        XCTAssertTrue(ConstantTime.equals([], []))
    }
}
