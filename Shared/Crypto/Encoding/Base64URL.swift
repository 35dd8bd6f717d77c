import Foundation

/// Base64url without padding (RFC 4648 §5), as JWTs and tokens use it.
public enum Base64URL {
    /// Encoded directly from the alphabet: this runs for every request id, and going through
    /// `Data.base64EncodedString` and three `replacingOccurrences` cost several allocations.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let alphabet = Self.alphabet
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            out.append(alphabet[Int(chunk >> 6 & 63)])
            out.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        let remaining = input.count - index
        if remaining > 0 {
            let second = remaining == 2 ? UInt32(input[index + 1]) : 0
            let chunk = UInt32(input[index]) << 16 | second << 8
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            if remaining == 2 { out.append(alphabet[Int(chunk >> 6 & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Decodes base64url with or without padding (at most the `=` that complete the last
    /// quantum); nil for anything else. Decoded directly from the alphabet, as `encode`: every
    /// session token is decoded on every request, and Foundation's string replacing and base64
    /// took a fifth of the gateway's time there (measured with perf on workspace.sh's gets).
    public static func decode(_ string: String) -> [UInt8]? {
        var utf8 = string.utf8[...]
        var padding = 0
        while utf8.last == UInt8(ascii: "=") {
            utf8 = utf8.dropLast()
            padding += 1
        }
        let remainder = utf8.count % 4
        guard remainder != 1, padding == 0 || (remainder != 0 && padding <= 4 - remainder) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count * 3 / 4)
        var chunk: UInt32 = 0
        var filled = 0
        for character in utf8 {
            let value = Self.values[Int(character)]
            guard value < 64 else { return nil }
            chunk = chunk << 6 | UInt32(value)
            filled += 1
            if filled == 4 {
                out.append(UInt8(chunk >> 16 & 0xff))
                out.append(UInt8(chunk >> 8 & 0xff))
                out.append(UInt8(chunk & 0xff))
                chunk = 0
                filled = 0
            }
        }
        if filled == 2 {
            out.append(UInt8(chunk >> 4 & 0xff))
        } else if filled == 3 {
            out.append(UInt8(chunk >> 10 & 0xff))
            out.append(UInt8(chunk >> 2 & 0xff))
        }
        return out
    }

    /// Each byte's value in the alphabet; 64 for a byte outside it.
    private static let values: [UInt8] = {
        var values = [UInt8](repeating: 64, count: 256)
        for (index, character) in alphabet.enumerated() { values[Int(character)] = UInt8(index) }
        return values
    }()
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
