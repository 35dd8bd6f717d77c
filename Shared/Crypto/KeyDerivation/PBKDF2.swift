import CLibCrypto

/// PBKDF2-HMAC-SHA256 through OpenSSL (`PKCS5_PBKDF2_HMAC`), the password hash the system uses.
public enum PBKDF2 {
    /// OWASP's current recommendation for PBKDF2-HMAC-SHA256 (Password Storage Cheat Sheet).
    public static let recommendedIterations = 600_000

    /// Derives `byteCount` bytes from `password` and `salt` with `iterations` rounds.
    public static func deriveKey(password: some Collection<UInt8>, salt: some Collection<UInt8>,
                                 iterations: Int, byteCount: Int = 32) -> [UInt8] {
        precondition(iterations > 0 && iterations <= Int(Int32.max), "PBKDF2 iterations out of range")
        var output = [UInt8](repeating: 0, count: byteCount)
        let passwordBytes = Array(password)
        let saltBytes = Array(salt)
        let ok = passwordBytes.withUnsafeBufferPointer { p in
            saltBytes.withUnsafeBufferPointer { s in
                output.withUnsafeMutableBufferPointer { out in
                    p.withMemoryRebound(to: CChar.self) { pc in
                        PKCS5_PBKDF2_HMAC(pc.baseAddress, Int32(pc.count), s.baseAddress, Int32(s.count),
                                          Int32(iterations), EVP_sha256(), Int32(byteCount), out.baseAddress)
                    }
                }
            }
        }
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
        return output
    }
}
