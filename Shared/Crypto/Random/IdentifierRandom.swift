import Synchronization

/// Random bytes for identifiers (request, trace and span ids), drawn from OpenSSL's
/// generator 4 KiB at a time.
///
/// Every `SecureRandom` call makes OpenSSL check the process id (a system call), and Swift's
/// `SystemRandomNumberGenerator` makes one `getrandom` per 64-bit word: the gateway made four
/// such calls per request for its ids alone. Identifiers must be unpredictable to callers
/// and unique, not secret from this process, so they come from this buffer, each byte handed
/// out once. Secrets (session tokens, API keys, salts) keep drawing from `SecureRandom`.
public enum IdentifierRandom {
    private struct Pool {
        var bytes: [UInt8] = []
        var next = 0
    }

    private static let refillSize = 4096
    private static let pool = Mutex(Pool())

    /// `count` random bytes (at most 4096 per call).
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= refillSize, "at most \(refillSize) identifier bytes per call")
        return pool.withLock { pool in
            if pool.bytes.count - pool.next < count {
                pool.bytes = SecureRandom.bytes(count: refillSize)
                pool.next = 0
            }
            defer { pool.next += count }
            return Array(pool.bytes[pool.next..<pool.next + count])
        }
    }

    /// A random token: `byteCount` random bytes in base64url without padding.
    public static func token(byteCount: Int) -> String {
        Base64URL.encode(bytes(count: byteCount))
    }
}
