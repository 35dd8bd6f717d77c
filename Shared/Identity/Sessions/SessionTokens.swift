import Crypto
import Errors
import Foundation
import JSON

/// Signs and verifies session tokens: compact JWTs (RFC 7519) with HS256 and a `kid` header.
///
/// Verification accepts only `alg` HS256 (so `none` and algorithm confusion are refused), a
/// `kid` among `keys`, a signature that matches (compared in constant time), and an `exp` in
/// the future. Revocation is not checked here: it needs the database (`IdentityStore`).
/// Every failure is the same `unauthenticated` error; `internalDetail` says which check failed.
public struct SessionTokens: Sendable {
    public let keys: SessionKeys
    /// Seconds a new token is valid.
    public let lifetime: Int64

    /// Longest token considered; longer ones are refused before any decoding.
    public static let maxTokenLength = 8192

    public init(keys: SessionKeys, lifetime: Int64) {
        self.keys = keys
        self.lifetime = lifetime
    }

    /// The JOSE header: `alg`, `typ`, `kid` (read and written by hand, as `SessionClaims`).
    struct Header {
        var alg: String
        var typ: String?
        var kid: String?

        var json: JSONValue {
            var object: [String: JSONValue] = ["alg": .string(alg)]
            if let typ { object["typ"] = .string(typ) }
            if let kid { object["kid"] = .string(kid) }
            return .object(object)
        }

        init(alg: String, typ: String?, kid: String?) {
            self.alg = alg
            self.typ = typ
            self.kid = kid
        }

        init(json value: JSONValue) throws(JSONFieldError) {
            let object = try JSONObjectReader(value)
            self.init(alg: try object.string("alg"), typ: try object.optionalString("typ"), kid: try object.optionalString("kid"))
        }
    }

    /// The JSON value `bytes` hold, read by `read`; nil when they are not JSON or do not fit.
    static func read<T>(_ bytes: [UInt8], _ read: (JSONValue) throws(JSONFieldError) -> T) -> T? {
        guard let value = try? JSONParser.parse(bytes) else { return nil }
        return try? read(value)
    }

    /// A signed token stating `claims`, signed with the signing key.
    public func sign(_ claims: SessionClaims) -> String {
        let header = Header(alg: "HS256", typ: "JWT", kid: keys.signing.id).json.serialized()
        let payload = claims.json.serialized()
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        let mac = HMACSHA256.authenticationCode(for: Array(signingInput.utf8), key: keys.signing.secret)
        return signingInput + "." + Base64URL.encode(mac)
    }

    /// The claims of `token` if it is well formed, signed by a listed key and not expired at `now`.
    public func verify(_ token: String, now: Date = Date()) throws -> SessionClaims {
        guard token.utf8.count <= Self.maxTokenLength else { throw Self.invalid("token too long") }
        // Split on the bytes: `split` on the string works by grapheme (measured:
        // docs/performance.md, design measurements).
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).map { Substring($0) }
        guard parts.count == 3 else { throw Self.invalid("not three parts") }
        guard let headerBytes = Base64URL.decode(String(parts[0])),
              let header = Self.read(headerBytes, { value throws(JSONFieldError) in try Header(json: value) }) else {
            throw Self.invalid("header is not base64url JSON")
        }
        guard header.alg == "HS256" else { throw Self.invalid("alg is not HS256") }
        guard let kid = header.kid, let key = keys.key(id: kid) else { throw Self.invalid("unknown kid") }
        guard let signature = Base64URL.decode(String(parts[2])) else { throw Self.invalid("signature is not base64url") }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMACSHA256.isValid(signature, for: signingInput, key: key.secret) else { throw Self.invalid("bad signature") }
        guard let payloadBytes = Base64URL.decode(String(parts[1])),
              let claims = Self.read(payloadBytes, { value throws(JSONFieldError) in try SessionClaims(json: value) }) else {
            throw Self.invalid("payload is not base64url JSON with the session claims")
        }
        guard claims.exp > Int64(now.timeIntervalSince1970) else { throw Self.invalid("expired") }
        guard claims.userId != nil, claims.tokenId != nil else { throw Self.invalid("sub or jti is not a UUID") }
        return claims
    }

    static func invalid(_ detail: String) -> ClienteleError {
        ClienteleError(.unauthenticated, "Missing, invalid, expired or revoked session", internalDetail: "session token: \(detail)")
    }
}
