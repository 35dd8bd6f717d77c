import Foundation

/// Base64url without padding (RFC 4648 §5), as JWTs and tokens use it.
public enum Base64URL {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes base64url with or without padding; nil for anything else.
    public static func decode(_ string: String) -> [UInt8]? {
        guard string.utf8.allSatisfy({ $0.isBase64URLCharacter }) else { return nil }
        var base64 = string.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = base64.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: base64).map { [UInt8]($0) }
    }
}

/// Lowercase hexadecimal, as digests are shown in logs and stored keys.
public enum Hex {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension UInt8 {
    fileprivate var isBase64URLCharacter: Bool {
        (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z")) || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z"))
            || (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9")) || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
            || self == UInt8(ascii: "=")
    }
}
