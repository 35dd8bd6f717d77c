import Foundation

extension UUID {
    /// The canonical text form in lower case (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), as the
    /// APIs, the events and the SQL parameters write ids.
    ///
    /// Written straight from the bytes: `uuidString.lowercased()` formats through `snprintf`
    /// and allocates twice (measured: docs/performance.md, design measurements), and ids are
    /// written several times per request.
    public var lowercasedString: String { canonicalText(letterBase: UInt8(ascii: "a")) }

    /// The canonical text form in upper case, as `uuidString` and `UUID`'s `Codable` write it,
    /// without `uuidString`'s `snprintf`, which showed in the search projection's CPU per GET
    /// (two ids per record answered; measured: docs/performance.md, design measurements).
    public var uppercasedString: String { canonicalText(letterBase: UInt8(ascii: "A")) }

    private func canonicalText(letterBase: UInt8) -> String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var index = 0
                for (offset, byte) in bytes.enumerated() {
                    if offset == 4 || offset == 6 || offset == 8 || offset == 10 {
                        out[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    out[index] = Self.hexDigit(byte >> 4, letterBase: letterBase)
                    out[index + 1] = Self.hexDigit(byte & 0x0f, letterBase: letterBase)
                    index += 2
                }
                return 36
            }
        }
    }

    private static func hexDigit(_ nibble: UInt8, letterBase: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : letterBase - 10 + nibble
    }
}
