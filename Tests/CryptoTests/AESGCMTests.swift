import Crypto
import XCTest

final class AESGCMTests: XCTestCase {
    let key = (0..<32).map { UInt8($0) }

    func testSealedTextOpensWithItsKeyAndContextOnly() throws {
        let cipher = try XCTUnwrap(AESGCM(key: key))
        let secret = Array("pat-na1-0123456789abcdef".utf8)
        let sealed = cipher.seal(secret, associatedData: Array("company-1".utf8))
        XCTAssertEqual(sealed.count, 12 + secret.count + 16)
        XCTAssertNil(sealed.firstRange(of: secret), "the secret does not appear in what is stored")
        XCTAssertEqual(cipher.open(sealed, associatedData: Array("company-1".utf8)), secret)
        XCTAssertNil(cipher.open(sealed, associatedData: Array("company-2".utf8)), "bound to its context")
        XCTAssertNil(try XCTUnwrap(AESGCM(key: key.reversed())).open(sealed, associatedData: Array("company-1".utf8)), "another key")
        for index in [0, 12, sealed.count - 1] {
            var altered = sealed
            altered[index] ^= 1
            XCTAssertNil(cipher.open(altered, associatedData: Array("company-1".utf8)), "byte \(index) altered")
        }
        XCTAssertNil(cipher.open(Array(sealed.prefix(20))))
        XCTAssertNotEqual(cipher.seal(secret), cipher.seal(secret), "a fresh nonce each time")
        XCTAssertEqual(cipher.open(cipher.seal([])), [])
    }

    func testKeysOfOtherLengthsAreRefused() {
        XCTAssertNil(AESGCM(key: Array(repeating: 1, count: 16)))
        XCTAssertNil(AESGCM(key: Array(repeating: 1, count: 33)))
    }

    /// The NIST GCM test vector (AES-256, test case 16 of the GCM specification).
    func testAKnownAnswerVector() throws {
        let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let nonce = hex("cafebabefacedbaddecaf888")
        let plaintext = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let sealed = nonce + hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
            + hex("76fc6ece0f4e1768cddf8853bb2d551b")
        let cipher = try XCTUnwrap(AESGCM(key: key))
        XCTAssertEqual(cipher.open(sealed, associatedData: aad), plaintext)
    }

    func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}
