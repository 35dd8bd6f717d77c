import ClientDomain
import Foundation
import HTTP
import XCTest
@testable import Gateway

/// What every download answers beside the bytes: an attachment under a header-safe name,
/// nosniff, and the store's type, ETag and range.
final class DocumentDownloadTests: XCTestCase {
    func testContentDispositionIsAnAttachmentWithASafeFallbackAndTheUTF8Name() {
        XCTAssertEqual(DocumentDownload.contentDisposition("scan.pdf"), "attachment; filename=\"scan.pdf\"; filename*=UTF-8''scan.pdf")
        XCTAssertEqual(DocumentDownload.contentDisposition("Zoë \"x\";%.pdf"),
                       "attachment; filename=\"Zo_ _x_;_.pdf\"; filename*=UTF-8''Zo%C3%AB%20%22x%22%3B%25.pdf")
    }

    func testTheResponseCarriesTheStoresHeadersAndNoSniffing() {
        let document = DocumentReference(id: UUID(), use: .care, documentType: .report, name: "r.pdf", contentType: "application/pdf",
                                         size: 10, sha256: String(repeating: "b", count: 64), uploadedAt: Date())
        let response = DocumentDownload.head(HTTPStatus(code: 206, reasonPhrase: "Partial Content"),
                                             ["Content-Type": "application/pdf", "Content-Range": "bytes 0-1/10",
                                              "ETag": "\"\(document.sha256)\"", "X-Internal": "x"],
                                             document: document, rendering: CareDocumentsView.error)
        XCTAssertEqual(response.status.code, 206)
        XCTAssertEqual(response.headers["Content-Type"], "application/pdf")
        XCTAssertEqual(response.headers["Content-Range"], "bytes 0-1/10")
        XCTAssertEqual(response.headers["ETag"], "\"\(document.sha256)\"")
        XCTAssertEqual(response.headers["X-Content-Type-Options"], "nosniff")
        XCTAssertTrue(response.headers["Content-Disposition"]?.hasPrefix("attachment;") ?? false)
        XCTAssertNil(response.headers["X-Internal"])
    }
}
