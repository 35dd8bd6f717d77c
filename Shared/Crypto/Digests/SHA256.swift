import CLibCrypto

/// SHA-256 through OpenSSL's EVP interface.
public enum SHA256 {
    /// The digest's length in bytes.
    public static let byteCount = 32

    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = Array(bytes).withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        // EVP_Digest fails only on allocation failure inside OpenSSL.
        precondition(ok == 1 && length == UInt32(byteCount), "EVP_Digest(SHA-256) failed")
        return digest
    }

    /// The SHA-256 digest of a string's UTF-8 bytes.
    public static func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }
}
