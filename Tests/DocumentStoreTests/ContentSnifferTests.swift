import ClientDomain
import Foundation
import XCTest
@testable import DocumentStore

/// Types by content: each accepted format's signature, refusals as soon as the first bytes
/// rule every format out, office files told apart by their entries, text as strict UTF-8.
final class ContentSnifferTests: XCTestCase {
    func sniff(_ bytes: [UInt8], as use: DocumentUse, zipEntries: [String] = [], chunk: Int = 3) -> DocumentFormat? {
        var sniffer = ContentSniffer()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            bytes[offset..<end].withUnsafeBytes { sniffer.feed($0) }
            offset = end
        }
        return sniffer.verdict(among: DocumentFormat.accepted(for: use)) { zipEntries }
    }

    static let pdf = Array("%PDF-1.7\n%âãÏÓ\n1 0 obj".utf8)
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10] + Array("JFIF".utf8)
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
    static let webp = Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WEBPVP8 ".utf8)
    static let heic: [UInt8] = [0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0]
    static let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0, 8, 0] + [UInt8](repeating: 0, count: 20)
    static let elf: [UInt8] = [0x7F] + Array("ELF".utf8) + [2, 1, 1, 0]
    static let windowsExecutable: [UInt8] = Array("MZ".utf8) + [0x90, 0, 3, 0, 0, 0]

    func testPassportsAreScansAndPhotos() {
        XCTAssertEqual(sniff(Self.pdf, as: .passport), .pdf)
        XCTAssertEqual(sniff(Self.jpeg, as: .passport), .jpeg)
        XCTAssertEqual(sniff(Self.png, as: .passport), .png)
        XCTAssertEqual(sniff(Self.webp, as: .passport), .webp)
        XCTAssertEqual(sniff(Self.heic, as: .passport), .heic)
        XCTAssertNil(sniff(Array("just some text".utf8), as: .passport))
        XCTAssertNil(sniff(Self.zip, as: .passport, zipEntries: ["word/document.xml"]))
        XCTAssertNil(sniff([], as: .passport), "an empty file is no image")
    }

    func testCareDocumentsAlsoTakeOfficeFilesAndText() {
        XCTAssertEqual(sniff(Self.pdf, as: .care), .pdf)
        XCTAssertEqual(sniff(Self.zip, as: .care, zipEntries: ["[Content_Types].xml", "word/document.xml"]), .docx)
        XCTAssertEqual(sniff(Self.zip, as: .care, zipEntries: ["[Content_Types].xml", "xl/workbook.xml"]), .xlsx)
        XCTAssertNil(sniff(Self.zip, as: .care, zipEntries: ["META-INF/MANIFEST.MF", "Main.class"]), "a jar is no office file")
        XCTAssertEqual(sniff(Array("Notes: café ✓\r\n\tline two\n".utf8), as: .care), .text)
        XCTAssertEqual(sniff([], as: .care), .text, "an empty file is empty text")
        XCTAssertNil(sniff(Self.webp, as: .care), "WebP is a passport format only")
    }

    func testExecutablesAreNothingWhateverTheirName() {
        for use in DocumentUse.allCases {
            XCTAssertNil(sniff(Self.elf, as: use))
            XCTAssertNil(sniff(Self.windowsExecutable, as: use))
        }
    }

    func testTextMustBeStrictUTF8WithoutControls() {
        let refused: [[UInt8]] = [
            [0x41, 0x00, 0x42], [0x1B, 0x5B], [0x7F], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0x41, 0xE2, 0x82], [0x80],
        ]
        for bytes in refused { XCTAssertNil(sniff(bytes, as: .care, chunk: 1), "\(bytes)") }
        XCTAssertEqual(sniff([0xF0, 0x9F, 0x99, 0x82], as: .care, chunk: 1), .text)
    }

    func testAWrongTypeIsSeenFromTheFirstBytes() {
        var sniffer = ContentSniffer()
        Self.elf.withUnsafeBytes { sniffer.feed($0) }
        XCTAssertFalse(sniffer.couldStillBe(any: DocumentFormat.accepted(for: .passport)))
        XCTAssertFalse(sniffer.couldStillBe(any: DocumentFormat.accepted(for: .care)))
        var partial = ContentSniffer()
        [UInt8(0x89), 0x50].withUnsafeBytes { partial.feed($0) }
        XCTAssertTrue(partial.couldStillBe(any: DocumentFormat.accepted(for: .passport)), "a PNG prefix may still be a PNG")
    }
}
