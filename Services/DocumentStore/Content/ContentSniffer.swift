import ClientDomain
import Foundation

/// Decides a file's format from its bytes as they stream in, never from its name or the
/// uploader's Content-Type: a plain state machine.
///
/// `feed` keeps the first `prefixLength` bytes and checks UTF-8 text incrementally (valid
/// UTF-8 without control characters other than tab, line feed, form feed and carriage
/// return); `couldStillBe` answers as soon as the prefix rules every accepted format out, so
/// a wrong type is refused before the rest of the body is read. Office files are ZIP
/// archives: `verdict` settles them from the archive's central directory (`ZipEntryNames`),
/// which is at the end of the file.
struct ContentSniffer {
    static let prefixLength = 16

    private(set) var prefix: [UInt8] = []
    private(set) var byteCount = 0
    private var text = UTF8TextCheck()

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if prefix.count < Self.prefixLength {
            prefix.append(contentsOf: bytes.prefix(Self.prefixLength - prefix.count))
        }
        byteCount += bytes.count
        text.feed(bytes)
    }

    /// The formats of `accepted` the bytes so far still allow (all of them before enough
    /// bytes arrived to tell).
    func candidates(among accepted: Set<DocumentFormat>, complete: Bool) -> Set<DocumentFormat> {
        accepted.filter { format in
            switch format {
            case .text: text.isPlausible && (!complete || text.isComplete)
            default: Self.matches(format, prefix: prefix, complete: complete)
            }
        }
    }

    /// Whether some format of `accepted` may still fit (false: refuse now).
    func couldStillBe(any accepted: Set<DocumentFormat>) -> Bool {
        !candidates(among: accepted, complete: false).isEmpty
    }

    /// The format of the complete content, or nil when it is none of `accepted`;
    /// `zipEntries` reads the archive's entry names (for office files).
    func verdict(among accepted: Set<DocumentFormat>, zipEntries: () throws -> [String]) rethrows -> DocumentFormat? {
        let possible = candidates(among: accepted, complete: true)
        // Binary magic first: a PDF or PNG is never taken for text.
        for format in [DocumentFormat.pdf, .jpeg, .png, .webp, .heic] where possible.contains(format) { return format }
        if possible.contains(.docx) || possible.contains(.xlsx) {
            let names = try zipEntries()
            if possible.contains(.docx), names.contains("word/document.xml") { return .docx }
            if possible.contains(.xlsx), names.contains("xl/workbook.xml") { return .xlsx }
            return nil
        }
        return possible.contains(.text) ? .text : nil
    }

    /// Whether `prefix` fits `format`'s signature; with `complete` false a prefix shorter
    /// than the signature still fits when it agrees so far.
    static func matches(_ format: DocumentFormat, prefix: [UInt8], complete: Bool) -> Bool {
        func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            for (index, byte) in signature.enumerated() {
                let position = offset + index
                guard position < prefix.count else { return !complete }
                if prefix[position] != byte { return false }
            }
            return true
        }
        switch format {
        case .pdf: return starts(Array("%PDF-".utf8))
        case .jpeg: return starts([0xFF, 0xD8, 0xFF])
        case .png: return starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case .webp: return starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8)
        case .heic:
            guard starts(Array("ftyp".utf8), at: 4) else { return false }
            if prefix.count < 12 { return !complete }
            let brand = String(decoding: prefix[8..<12], as: UTF8.self)
            return ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].contains(brand)
        case .docx, .xlsx: return starts([0x50, 0x4B, 0x03, 0x04])
        case .text: return true
        }
    }
}

/// Incremental check that bytes are UTF-8 text: well-formed sequences (no overlongs,
/// surrogates or values past U+10FFFF) and no control characters but tab, LF, FF and CR.
struct UTF8TextCheck {
    private(set) var isPlausible = true
    /// Continuation bytes still expected for the current sequence.
    private var pending = 0
    /// The allowed range of the next continuation byte (narrower after E0, ED, F0, F4).
    private var nextLow: UInt8 = 0x80
    private var nextHigh: UInt8 = 0xBF

    /// Whether the text ended on a whole character.
    var isComplete: Bool { isPlausible && pending == 0 }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard isPlausible else { return }
        for byte in bytes {
            if pending > 0 {
                guard byte >= nextLow && byte <= nextHigh else { isPlausible = false; return }
                pending -= 1
                nextLow = 0x80
                nextHigh = 0xBF
                continue
            }
            switch byte {
            case 0x09, 0x0A, 0x0C, 0x0D, 0x20...0x7E: continue
            case 0xC2...0xDF: pending = 1
            case 0xE0: pending = 2; nextLow = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: pending = 2
            case 0xED: pending = 2; nextHigh = 0x9F
            case 0xF0: pending = 3; nextLow = 0x90
            case 0xF1...0xF3: pending = 3
            case 0xF4: pending = 3; nextHigh = 0x8F
            default: isPlausible = false; return
            }
        }
    }
}
