import Crypto

/// The format of API key secrets: `ba_` followed by 32 random bytes in base64url (43
/// characters), and the digest they are stored and looked up by.
///
/// The digest is a plain SHA-256, not a slow password hash: a key carries 256 bits of
/// randomness, so no guessing or dictionary attack against a leaked digest is feasible, and a
/// fast hash keeps the per-request lookup cheap. Passwords (low entropy) use PBKDF2 instead.
public enum APIKeySecret {
    public static let marker = "ba_"
    /// Random bytes per key.
    public static let randomByteCount = 32
    /// Length of a well-formed secret: the marker plus 43 base64url characters.
    public static let length = 3 + 43
    /// Characters of the secret kept for display.
    public static let prefixLength = 11

    /// A fresh secret.
    public static func generate() -> String {
        marker + Base64URL.encode(SecureRandom.bytes(count: randomByteCount))
    }

    /// Whether `text` has the shape of a secret (checked before any hashing or lookup, so
    /// oversized or malformed input never reaches the database).
    public static func isWellFormed(_ text: String) -> Bool {
        let bytes = text.utf8
        guard bytes.count == length, text.hasPrefix(marker) else { return false }
        return bytes.dropFirst(marker.utf8.count).allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x2d || byte == 0x5f
        }
    }

    /// The stored digest of `secret`.
    public static func digest(_ secret: String) -> [UInt8] { SHA256.hash(secret) }

    /// The display prefix of `secret`.
    public static func displayPrefix(_ secret: String) -> String { String(secret.prefix(prefixLength)) }
}
