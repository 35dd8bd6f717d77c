import Crypto
import Errors
import Foundation

/// The HMAC keys session tokens are signed and verified with, each named by a key id (`kid`).
///
/// Parsed from `kid1:base64secret,kid0:base64secret`: the first key signs new tokens, every
/// listed key verifies. Rotating is adding a new key in front, then (after the longest token
/// lifetime) removing the old one. Secrets must decode to at least 32 bytes (HS256's key size).
public struct SessionKeys: Sendable {
    public struct Key: Sendable {
        public var id: String
        public var secret: [UInt8]

        public init(id: String, secret: [UInt8]) {
            self.id = id
            self.secret = secret
        }
    }

    /// The key new tokens are signed with.
    public let signing: Key
    private let byId: [String: Key]

    /// The shortest accepted secret, in bytes.
    public static let minimumSecretBytes = 32

    public init(signing: Key, verifyingAlso others: [Key] = []) {
        self.signing = signing
        var byId = [signing.id: signing]
        for key in others where byId[key.id] == nil { byId[key.id] = key }
        self.byId = byId
    }

    /// Parses the `JWT_KEYS` form; the error message never contains a secret.
    public init(parsing text: String) throws {
        var keys: [Key] = []
        for entry in text.split(separator: ",") {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64,
                  parts[0].utf8.allSatisfy({ Self.isKeyIdCharacter($0) }) else {
                throw ClienteleError(.invalidArgument, "expected kid:base64secret[,kid:base64secret...]")
            }
            let id = String(parts[0])
            guard let secret = Self.decodeSecret(String(parts[1])), secret.count >= Self.minimumSecretBytes else {
                throw ClienteleError(.invalidArgument, "the secret of key \(id) must be base64 of at least \(Self.minimumSecretBytes) bytes")
            }
            guard !keys.contains(where: { $0.id == id }) else {
                throw ClienteleError(.invalidArgument, "key id \(id) is listed twice")
            }
            keys.append(Key(id: id, secret: secret))
        }
        guard let first = keys.first else { throw ClienteleError(.invalidArgument, "no key given") }
        self.init(signing: first, verifyingAlso: Array(keys.dropFirst()))
    }

    /// The key named `id`, if listed.
    public func key(id: String) -> Key? { byId[id] }

    private static func isKeyIdCharacter(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
            || byte == 0x2d || byte == 0x5f || byte == 0x2e
    }

    /// Standard base64 (with or without padding) or base64url.
    private static func decodeSecret(_ text: String) -> [UInt8]? {
        Base64URL.decode(text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"))
    }
}
