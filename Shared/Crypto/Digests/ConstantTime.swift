import CLibCrypto

/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// Whether `a` and `b` are equal, using OpenSSL's `CRYPTO_memcmp`.
    ///
    /// Lengths are compared first (a length is not secret in the places this is used:
    /// digests and MACs of fixed size); the bytes are compared in constant time.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, a.count) == 0 }
        }
    }
}
