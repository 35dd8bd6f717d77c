import ClientDomain
import XCTest

/// File names as uploaded are hostile input: only a safe last component is kept.
final class DocumentNameTests: XCTestCase {
    func name(_ raw: String?) -> String { DocumentName.sanitised(raw, fallback: "document") }

    func testPathsControlsAndDisguisesAreRemoved() {
        XCTAssertEqual(name("../../etc/passwd"), "passwd")
        XCTAssertEqual(name("C:\\Users\\jane\\scan.pdf"), "scan.pdf")
        XCTAssertEqual(name("a\u{0}b\r\nc.pdf"), "abc.pdf")
        XCTAssertEqual(name("invoice\u{202E}fdp.exe"), "invoicefdp.exe")
        XCTAssertEqual(name("  ..hidden.. "), "hidden")
        XCTAssertEqual(name("Plan ✓ 2024.pdf"), "Plan ✓ 2024.pdf")
        for empty in [nil, "", "..", "/", "\u{1}\u{2}", " . "] { XCTAssertEqual(name(empty), "document", String(describing: empty)) }
    }

    func testLongNamesAreCutOnACharacterKeepingTheExtension() {
        let long = name(String(repeating: "é", count: 300) + ".pdf")
        XCTAssertLessThanOrEqual(long.utf8.count, 255)
        XCTAssertTrue(long.hasSuffix("é.pdf"))
        let family = name(String(repeating: "👨‍👩‍👧", count: 40))
        XCTAssertLessThanOrEqual(family.utf8.count, 255)
        XCTAssertTrue(family.allSatisfy { $0 == "👨‍👩‍👧" })
    }
}
