import Foundation

extension UUID {
    /// Parses the canonical `8-4-4-4-12` hexadecimal form, in either case, to the UUID
    /// `UUID(uuidString:)` gives for it; nil for anything else.
    ///
    /// The internal JSON codings and the PostgreSQL layer read every id with it: on Linux
    /// `UUID(uuidString:)` runs `sscanf`, which showed in the gateway's CPU per GET (a record
    /// has two ids) and in the search projection's decoding of the rows it answers with
    /// (measured: docs/performance.md, design measurements).
    public init?(canonical text: String) {
        let parsed = text.utf8.withContiguousStorageIfAvailable { bytes in Self.parseCanonical(bytes) }
        guard let uuid = parsed ?? Self.parseCanonical(Array(text.utf8)) else { return nil }
        self = uuid
    }

    /// `init(canonical:)` over text's bytes in place (a database cell's, say).
    public init?(canonical bytes: UnsafeRawBufferPointer) {
        guard let uuid = Self.parseCanonical(bytes) else { return nil }
        self = uuid
    }

    private static func parseCanonical<Bytes: RandomAccessCollection<UInt8>>(_ text: Bytes) -> UUID? where Bytes.Index == Int {
        guard text.count == 36 else { return nil }
        let base = text.startIndex
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &raw) { out -> Bool in
            var index = 0
            for byte in 0..<16 {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard text[base + index] == UInt8(ascii: "-") else { return false }
                    index += 1
                }
                let high = nibble(text[base + index]), low = nibble(text[base + index + 1])
                guard high < 16, low < 16 else { return false }
                out[byte] = high << 4 | low
                index += 2
            }
            return true
        }
        return valid ? UUID(uuid: raw) : nil
    }

    /// The value of a hexadecimal digit; 255 for any other byte.
    private static func nibble(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return 255
        }
    }
}
