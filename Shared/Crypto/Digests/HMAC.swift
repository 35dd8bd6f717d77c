import CLibCrypto

/// HMAC-SHA256 through OpenSSL (`HMAC()` with `EVP_sha256`).
public enum HMACSHA256 {
    /// The MAC's length in bytes.
    public static let byteCount = 32

    /// The HMAC-SHA256 of `message` under `key`.
    public static func authenticationCode(for message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let keyBytes = Array(key)
        let messageBytes = Array(message)
        let result = keyBytes.withUnsafeBufferPointer { k in
            messageBytes.withUnsafeBufferPointer { m in
                mac.withUnsafeMutableBufferPointer { out in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, out.baseAddress, &length)
                }
            }
        }
        precondition(result != nil && length == UInt32(byteCount), "HMAC-SHA256 failed")
        return mac
    }

    /// Whether `mac` is the HMAC-SHA256 of `message` under `key`, compared in constant time.
    public static func isValid(_ mac: some Collection<UInt8>, for message: some Collection<UInt8>, key: some Collection<UInt8>) -> Bool {
        ConstantTime.equals(Array(mac), authenticationCode(for: message, key: key))
    }
}
