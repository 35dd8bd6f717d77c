/// A stored password hash: PBKDF2-HMAC-SHA256 with a random salt, in a self-describing string.
///
/// The encoded form is `pbkdf2-sha256$<iterations>$<salt base64url>$<hash base64url>`, so the
/// iteration count can rise later without invalidating stored hashes.
public struct PasswordHash: Sendable, Equatable {
    public var iterations: Int
    public var salt: [UInt8]
    public var hash: [UInt8]

    /// Hashes `password` with a fresh 16-byte salt.
    public static func make(password: String, iterations: Int = PBKDF2.recommendedIterations) -> PasswordHash {
        let salt = SecureRandom.bytes(count: 16)
        let hash = PBKDF2.deriveKey(password: Array(password.utf8), salt: salt, iterations: iterations)
        return PasswordHash(iterations: iterations, salt: salt, hash: hash)
    }

    /// Parses the encoded form; nil if it is not one this type wrote.
    public init?(encoded: String) {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256",
              let iterations = Int(parts[1]), iterations > 0, iterations <= 10_000_000,
              let salt = Base64URL.decode(String(parts[2])), !salt.isEmpty,
              let hash = Base64URL.decode(String(parts[3])), hash.count == 32 else { return nil }
        self.init(iterations: iterations, salt: salt, hash: hash)
    }

    public init(iterations: Int, salt: [UInt8], hash: [UInt8]) {
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// The string to store.
    public var encoded: String {
        "pbkdf2-sha256$\(iterations)$\(Base64URL.encode(salt))$\(Base64URL.encode(hash))"
    }

    /// Whether `password` matches, compared in constant time.
    public func verify(_ password: String) -> Bool {
        let candidate = PBKDF2.deriveKey(password: Array(password.utf8), salt: salt, iterations: iterations,
                                         byteCount: hash.count)
        return ConstantTime.equals(candidate, hash)
    }
}
