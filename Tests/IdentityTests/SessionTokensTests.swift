import Crypto
import Errors
import Foundation
import Identity
import XCTest

/// Session tokens (HS256 JWTs with a kid): what verifies and every way a token is refused.
final class SessionTokensTests: XCTestCase {
    private let current = SessionKeys.Key(id: "k2", secret: Array(repeating: 2, count: 32))
    private let retired = SessionKeys.Key(id: "k1", secret: Array(repeating: 1, count: 32))
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func claims(lifetime: Int64 = 3600) -> SessionClaims {
        SessionClaims(sub: UUID().uuidString.lowercased(), iat: Int64(now.timeIntervalSince1970),
                      exp: Int64(now.timeIntervalSince1970) + lifetime, jti: UUID().uuidString.lowercased(),
                      roles: ["sales"], companies: [UUID().uuidString.lowercased()])
    }

    private func assertRefused(_ token: String, by tokens: SessionTokens, at time: Date? = nil, _ why: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try tokens.verify(token, now: time ?? now), why, file: file, line: line) { error in
            XCTAssertEqual((error as? ClienteleError)?.code, .unauthenticated, why, file: file, line: line)
        }
    }

    private func json(_ part: Substring) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(XCTUnwrap(Base64URL.decode(String(part))))) as? [String: Any])
    }

    private func encode(_ object: [String: Any]) throws -> String {
        Base64URL.encode(try JSONSerialization.data(withJSONObject: object))
    }

    func testSignedTokenVerifiesWithItsClaimsAndHeader() throws {
        let tokens = SessionTokens(keys: SessionKeys(signing: current), lifetime: 3600)
        let claims = claims()
        let token = tokens.sign(claims)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertEqual(parts.count, 3)
        let header = try json(parts[0])
        XCTAssertEqual(header["alg"] as? String, "HS256")
        XCTAssertEqual(header["kid"] as? String, "k2")
        XCTAssertEqual(header["typ"] as? String, "JWT")
        let payload = try json(parts[1])
        XCTAssertEqual(Set(payload.keys), ["sub", "iat", "exp", "jti", "roles", "companies"])
        // The signature is HMAC-SHA256 over header.payload under the signing key.
        let mac = HMACSHA256.authenticationCode(for: Array("\(parts[0]).\(parts[1])".utf8), key: current.secret)
        XCTAssertEqual(Base64URL.decode(String(parts[2])), mac)
        XCTAssertEqual(try tokens.verify(token, now: now), claims)
    }

    func testExpiredTokenIsRefused() {
        let tokens = SessionTokens(keys: SessionKeys(signing: current), lifetime: 60)
        let token = tokens.sign(claims(lifetime: 60))
        XCTAssertNoThrow(try tokens.verify(token, now: now.addingTimeInterval(59)))
        assertRefused(token, by: tokens, at: now.addingTimeInterval(60), "expired at exp")
        assertRefused(token, by: tokens, at: now.addingTimeInterval(3600), "expired long ago")
    }

    func testTamperedPayloadIsRefused() throws {
        let tokens = SessionTokens(keys: SessionKeys(signing: current), lifetime: 3600)
        let token = tokens.sign(claims())
        let parts = token.split(separator: ".")
        var payload = try json(parts[1])
        payload["roles"] = ["super-admin"]
        let forged = "\(parts[0]).\(try encode(payload)).\(parts[2])"
        assertRefused(forged, by: tokens, "payload changed, signature kept")
        var extended = try json(parts[1])
        extended["exp"] = (extended["exp"] as? Int ?? 0) + 100_000
        assertRefused("\(parts[0]).\(try encode(extended)).\(parts[2])", by: tokens, "exp extended")
    }

    func testTamperedSignatureIsRefused() throws {
        let tokens = SessionTokens(keys: SessionKeys(signing: current), lifetime: 3600)
        let token = tokens.sign(claims())
        let parts = token.split(separator: ".")
        var signature = try XCTUnwrap(Base64URL.decode(String(parts[2])))
        signature[0] ^= 1
        assertRefused("\(parts[0]).\(parts[1]).\(Base64URL.encode(signature))", by: tokens, "one bit flipped")
        assertRefused("\(parts[0]).\(parts[1]).", by: tokens, "empty signature")
        assertRefused("\(parts[0]).\(parts[1])", by: tokens, "no signature part")
        // Signed with another secret under the same kid.
        let impostor = SessionTokens(keys: SessionKeys(signing: .init(id: "k2", secret: Array(repeating: 9, count: 32))), lifetime: 3600)
        assertRefused(impostor.sign(claims()), by: tokens, "wrong secret")
        assertRefused("not a token", by: tokens, "garbage")
        assertRefused(token + String(repeating: "A", count: 9000), by: tokens, "oversized")
    }

    func testAlgorithmNoneAndOthersAreRefused() throws {
        let tokens = SessionTokens(keys: SessionKeys(signing: current), lifetime: 3600)
        let parts = tokens.sign(claims()).split(separator: ".")
        for alg in ["none", "None", "HS512", "RS256", "hs256"] {
            let header = try encode(["alg": alg, "typ": "JWT", "kid": "k2"])
            assertRefused("\(header).\(parts[1]).", by: tokens, "alg \(alg) without signature")
            // Even with a valid HS256 MAC over the new header, the alg itself is refused.
            let mac = HMACSHA256.authenticationCode(for: Array("\(header).\(parts[1])".utf8), key: current.secret)
            assertRefused("\(header).\(parts[1]).\(Base64URL.encode(mac))", by: tokens, "alg \(alg) with a MAC")
        }
    }

    func testUnknownKidIsRefused() throws {
        let tokens = SessionTokens(keys: SessionKeys(signing: current), lifetime: 3600)
        let other = SessionTokens(keys: SessionKeys(signing: .init(id: "k9", secret: current.secret)), lifetime: 3600)
        assertRefused(other.sign(claims()), by: tokens, "kid k9 is not listed, even with the same secret")
        let parts = tokens.sign(claims()).split(separator: ".")
        let header = try encode(["alg": "HS256", "typ": "JWT"])
        let mac = HMACSHA256.authenticationCode(for: Array("\(header).\(parts[1])".utf8), key: current.secret)
        assertRefused("\(header).\(parts[1]).\(Base64URL.encode(mac))", by: tokens, "no kid")
    }

    func testRetiredKeyVerifiesOnlyWhileListed() {
        let before = SessionTokens(keys: SessionKeys(signing: retired), lifetime: 3600)
        let oldToken = before.sign(claims())
        let rotated = SessionTokens(keys: SessionKeys(signing: current, verifyingAlso: [retired]), lifetime: 3600)
        XCTAssertNoThrow(try rotated.verify(oldToken, now: now), "a retired key still listed verifies")
        let newToken = rotated.sign(claims())
        XCTAssertTrue(newToken.hasPrefix(rotated.sign(claims()).split(separator: ".")[0] + "."))
        XCTAssertNoThrow(try rotated.verify(newToken, now: now))
        assertRefused(newToken, by: before, "the old configuration does not know k2")
        let dropped = SessionTokens(keys: SessionKeys(signing: current), lifetime: 3600)
        assertRefused(oldToken, by: dropped, "a retired key no longer listed")
    }

    func testKeysParseFromTheEnvironmentForm() throws {
        let a = Data(repeating: 0xab, count: 32).base64EncodedString()
        let b = Data(repeating: 0xcd, count: 48).base64EncodedString()
        let keys = try SessionKeys(parsing: "new:\(a), old:\(b)")
        XCTAssertEqual(keys.signing.id, "new")
        XCTAssertEqual(keys.signing.secret, Array(repeating: 0xab, count: 32))
        XCTAssertEqual(keys.key(id: "old")?.secret, Array(repeating: 0xcd, count: 48))
        XCTAssertNil(keys.key(id: "other"))
        let short = Data(repeating: 1, count: 31).base64EncodedString()
        for bad in ["", "nokey", "k1:\(short)", "k1:!!!notbase64!!!", "k1:\(a),k1:\(b)", ":\(a)", "bad kid:\(a)"] {
            XCTAssertThrowsError(try SessionKeys(parsing: bad), bad) { error in
                XCTAssertFalse(String(describing: error).contains(a), "the error shows the secret")
            }
        }
    }
}
