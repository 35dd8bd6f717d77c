import CLibCrypto

/// AES-256-GCM through OpenSSL's EVP interface: authenticated encryption of small secrets
/// stored at rest (the CRM sync's access tokens).
///
/// `seal` draws a fresh 12-byte nonce per message and returns nonce, ciphertext and the
/// 16-byte tag together; `open` checks the tag before returning anything. `associatedData`
/// binds the ciphertext to its context (say, the company it belongs to), so a sealed value
/// copied to another row does not open there.
public struct AESGCM: Sendable {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    private let key: [UInt8]

    /// A cipher under `key` (32 bytes); nil for a key of any other length.
    public init?(key: [UInt8]) {
        guard key.count == Self.keyByteCount else { return nil }
        self.key = key
    }

    /// nonce ‖ ciphertext ‖ tag of `plaintext`.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8] = []) -> [UInt8] {
        seal(plaintext, associatedData: associatedData, nonce: SecureRandom.bytes(count: Self.nonceByteCount))
    }

    func seal(_ plaintext: [UInt8], associatedData: [UInt8], nonce: [UInt8]) -> [UInt8] {
        let context = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(context) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: Self.tagByteCount)
        var length: Int32 = 0
        var total = 0
        var ok = EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1
        if !associatedData.isEmpty {
            ok = ok && EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1
        }
        ok = ok && ciphertext.withUnsafeMutableBufferPointer { out in
            EVP_EncryptUpdate(context, out.baseAddress, &length, plaintext, Int32(plaintext.count)) == 1
        }
        total = Int(length)
        ok = ok && ciphertext.withUnsafeMutableBufferPointer { out in
            EVP_EncryptFinal_ex(context, out.baseAddress! + total, &length) == 1
        }
        total += Int(length)
        ok = ok && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagByteCount), &tag) == 1
        // Encryption with a valid key and nonce fails only when OpenSSL itself is broken.
        precondition(ok, "AES-256-GCM encryption failed")
        return nonce + ciphertext[..<total] + tag
    }

    /// The plaintext of `sealed`; nil when it was not sealed under this key and
    /// `associatedData`, or was altered.
    public func open(_ sealed: [UInt8], associatedData: [UInt8] = []) -> [UInt8]? {
        guard sealed.count >= Self.nonceByteCount + Self.tagByteCount else { return nil }
        let nonce = Array(sealed[..<Self.nonceByteCount])
        let ciphertext = Array(sealed[Self.nonceByteCount..<(sealed.count - Self.tagByteCount)])
        var tag = Array(sealed[(sealed.count - Self.tagByteCount)...])
        let context = EVP_CIPHER_CTX_new()
        defer { EVP_CIPHER_CTX_free(context) }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var length: Int32 = 0
        guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { return nil }
        if !associatedData.isEmpty {
            guard EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1 else { return nil }
        }
        let updated = plaintext.withUnsafeMutableBufferPointer { out in
            EVP_DecryptUpdate(context, out.baseAddress, &length, ciphertext, Int32(ciphertext.count)) == 1
        }
        guard updated else { return nil }
        let total = Int(length)
        guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagByteCount), &tag) == 1 else { return nil }
        let verified = plaintext.withUnsafeMutableBufferPointer { out in
            EVP_DecryptFinal_ex(context, out.baseAddress! + total, &length) == 1
        }
        guard verified else { return nil }
        return Array(plaintext[..<(total + Int(length))])
    }
}
