import Foundation
import HTTP
import TestSupport
import XCTest

/// Passports (leads API) and care documents through the real gateway, document store, command
/// service and projections: byte-identical round trips at the edge sizes, every refusal with
/// nothing stored, authorization like the client's, replacement and deletion reaching the
/// files, and `clientctl documents verify` clean afterwards.
final class DocumentsAPITests: XCTestCase {
    /// A sweep every second with a one-second grace, so deleted documents' files go quickly.
    private static let shared = SharedStack {
        try await ClienteleStack.start("documents", gatewayEnvironment: DocumentsWorld.gatewayEnvironment,
                                       documentEnvironment: ["DOCUMENT_SWEEP_GRACE_SECONDS": "1",
                                                             "DOCUMENT_SWEEP_INTERVAL_SECONDS": "1"])
    }
    private let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(120)))

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    private func world() async throws -> DocumentsWorld {
        try await DocumentsWorld.make(try await Self.shared.stack(), http: http)
    }

    func testUploadsComeBackByteIdenticalAtEdgeSizesAndOneByteOverTheCapIsRefused() async throws {
        let w = try await world()
        let lead = try await w.lead()
        let cap = 25 * 1024 * 1024
        let files: [(String, [UInt8])] = [
            ("empty.txt", []), ("one.txt", Array("a".utf8)), ("eight.pdf", DocumentsWorld.pdf(8 * 1024 * 1024, seed: 8)),
            ("cap.pdf", DocumentsWorld.pdf(cap, seed: 25)),
        ]
        for (name, bytes) in files {
            let reply = try await w.careDocument(lead, bytes, name: name)
            XCTAssertEqual(reply.status, 201, "\(name): \(reply.excerpt)")
            let data = try XCTUnwrap(reply.json["data"], reply.excerpt)
            XCTAssertEqual(data.string("sha256"), DocumentsWorld.sha256(bytes), name)
            XCTAssertEqual(data.int("size"), Int64(bytes.count), name)
            XCTAssertEqual(data.string("name"), name)
            let url = try XCTUnwrap(data.string("url"))
            let download = try await w.gateway.call(.GET, url, as: .session(w.adminA))
            XCTAssertEqual(download.status, 200, name)
            XCTAssertTrue(download.body == bytes, "\(name) must come back byte-identical")
            XCTAssertEqual(download.headers["ETag"], "\"\(DocumentsWorld.sha256(bytes))\"")
            XCTAssertEqual(download.headers["X-Content-Type-Options"], "nosniff")
            XCTAssertEqual(download.headers["Content-Disposition"], "attachment; filename=\"\(name)\"; filename*=UTF-8''\(name)")
            XCTAssertEqual(download.headers["Content-Type"], name.hasSuffix(".pdf") ? "application/pdf" : "text/plain; charset=utf-8")
        }
        // A range of the 8 MB file, and one past its end.
        let list = try await w.gateway.call(.GET, "/api/document/client/\(lead)", as: .session(w.adminA))
        let documents = try XCTUnwrap(list.json["data"]?.arrayValue, list.excerpt)
        XCTAssertEqual(documents.map { $0.string("name") }, ["cap.pdf", "eight.pdf", "one.txt", "empty.txt"], "newest first")
        let eight = try XCTUnwrap(documents.first { $0.string("name") == "eight.pdf" })
        let url = try XCTUnwrap(eight.string("url"))
        let part = try await w.gateway.call(.GET, url, as: .session(w.adminA), headers: ["Range": "bytes=1000-1999"])
        XCTAssertEqual(part.status, 206)
        XCTAssertEqual(part.headers["Content-Range"], "bytes 1000-1999/\(8 * 1024 * 1024)")
        XCTAssertTrue(part.body == Array(DocumentsWorld.pdf(8 * 1024 * 1024, seed: 8)[1000...1999]))
        let past = try await w.gateway.call(.GET, url, as: .session(w.adminA), headers: ["Range": "bytes=99999999-"])
        XCTAssertEqual(past.status, 416)
        let cached = try await w.gateway.call(.GET, url, as: .session(w.adminA), headers: ["If-None-Match": part.headers["ETag"] ?? ""])
        XCTAssertEqual(cached.status, 304)

        // One byte over the cap: 413 with a message, and nothing stored.
        let rows = try await w.storedRows()
        let objects = w.objects()
        let over = try await w.careDocument(lead, DocumentsWorld.pdf(cap + 1, seed: 26), name: "over.pdf")
        XCTAssertEqual(over.status, 413, over.excerpt)
        XCTAssertEqual(over.json.bool("success"), false)
        XCTAssertNotNil(over.json.string("message"))
        let rowsAfter = try await w.storedRows()
        XCTAssertEqual(rowsAfter, rows)
        XCTAssertEqual(w.objects(), objects)
        try await eventually("no temporary file is left") { w.temporaryFiles().isEmpty }
        let verify = try w.verify()
        XCTAssertEqual(verify.status, 0, "\(verify.report)")
    }

    func testRefusalsAnswerWithAMessageAndStoreNothing() async throws {
        let w = try await world()
        let lead = try await w.lead()
        let otherLead = try await w.lead(in: w.companyB.number, token: w.adminB)
        let rows = try await w.storedRows()
        let objects = w.objects()
        let pdf = DocumentsWorld.pdf(2000)
        let cases: [(String, () async throws -> GatewayReply, Int)] = [
            ("an executable named .pdf (passport)", { try await w.passport(lead, DocumentsWorld.elf, name: "passport.pdf") }, 415),
            ("an executable named .pdf (care)", { try await w.careDocument(lead, DocumentsWorld.elf, name: "plan.pdf") }, 415),
            ("a zip that is no office file", {
                try await w.careDocument(lead, [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 1, count: 100), name: "a.docx")
            }, 415),
            ("a passport over its cap", { try await w.passport(lead, DocumentsWorld.pdf(10 * 1024 * 1024 + 1)) }, 413),
            ("no passport part", {
                try await w.upload("/api/clients/passport/\(lead)", token: w.adminA, Multipart([.file("file", "p.pdf", pdf)]))
            }, 400),
            ("the passport as a text field", {
                try await w.upload("/api/clients/passport/\(lead)", token: w.adminA, Multipart([.field("passport", "x")]))
            }, 400),
            ("not multipart", {
                try await w.gateway.call(.POST, "/api/clients/passport/\(lead)", as: .session(w.adminA), json: ["passport": "x"])
            }, 400),
            ("no documentType", {
                try await w.upload("/api/document/upload", token: w.adminA,
                                   Multipart([.file("file", "p.pdf", pdf), .field("clientId", String(lead))]))
            }, 400),
            ("an unknown documentType", { try await w.careDocument(lead, pdf, type: "novel") }, 400),
            ("no clientId", {
                try await w.upload("/api/document/upload", token: w.adminA,
                                   Multipart([.file("file", "p.pdf", pdf), .field("documentType", "report")]))
            }, 400),
            ("another company's lead (passport)", { try await w.passport(otherLead, pdf) }, 404),
            ("another company's client (care)", { try await w.careDocument(otherLead, pdf) }, 404),
            ("a client that does not exist", { try await w.careDocument(999_999_999, pdf) }, 404),
            ("an agent uploading a passport", { try await w.passport(lead, pdf, token: w.agentA) }, 403),
            ("sales uploading a care document", { try await w.careDocument(lead, pdf, token: w.salesA) }, 403),
            ("no session", { try await w.careDocument(lead, pdf, token: "not-a-token") }, 401),
            // A small file beside a part the store does not keep, without a declared length: the
            // whole body is bounded too, not only the file.
            ("an oversized extra part, chunked", {
                try await w.upload("/api/document/upload", token: w.adminA,
                                   Multipart([.file("file", "p.pdf", pdf), .field("clientId", String(lead)),
                                              .field("documentType", "report"),
                                              .file("extra", "x.bin", [UInt8](repeating: 7, count: 26 * 1024 * 1024))]),
                                   chunked: true)
            }, 413),
        ]
        for (name, send, expected) in cases {
            let reply = try await send()
            XCTAssertEqual(reply.status, expected, "\(name): \(reply.excerpt)")
            XCTAssertFalse((reply.json.string("message") ?? "").isEmpty, "\(name) answers a JSON message: \(reply.excerpt)")
        }
        let rowsAfter = try await w.storedRows()
        XCTAssertEqual(rowsAfter, rows, "no refused upload keeps a row")
        try await eventually("no refused upload keeps a file") { w.objects() == objects && w.temporaryFiles().isEmpty }
        let leadView = try await w.gateway.call(.GET, "/api/clients/\(lead)", as: .session(w.adminA))
        XCTAssertEqual(leadView.json["leads"]?["passport"], .null, leadView.excerpt)
        let verify = try w.verify()
        XCTAssertEqual(verify.status, 0, "\(verify.report)")
    }

    func testDownloadsAreAuthorizedLikeTheirClient() async throws {
        let w = try await world()
        let lead = try await w.lead()
        let passport = try await w.passport(lead, DocumentsWorld.png, name: "../../me.png")
        XCTAssertEqual(passport.status, 200, passport.excerpt)
        XCTAssertEqual(passport.json.string("message"), "Passport uploaded successfully")
        let path = try XCTUnwrap(passport.json.string("path"))
        XCTAssertEqual(path, "/api/clients/passport/\(lead)")
        let care = try await w.careDocument(lead, Array("notes\n".utf8), name: "notes.txt", type: "report")
        let url = try XCTUnwrap(care.json["data"]?.string("url"), care.excerpt)
        // The lead shows its passport; leads readers download it, the sanitised name included.
        let shown = try await w.gateway.call(.GET, "/api/clients/\(lead)", as: .session(w.salesA))
        XCTAssertEqual(shown.json["leads"]?.string("passport"), path)
        let bySales = try await w.gateway.call(.GET, path, as: .session(w.salesA))
        XCTAssertEqual(bySales.status, 200)
        XCTAssertTrue(bySales.body == DocumentsWorld.png)
        XCTAssertEqual(bySales.headers["Content-Type"], "image/png")
        XCTAssertEqual(bySales.headers["Content-Disposition"], "attachment; filename=\"me.png\"; filename*=UTF-8''me.png")
        for (who, token, passportStatus, careStatus) in [("agent not assigned", w.agentA, 403, 403), ("sales", w.salesA, 200, 403),
                                                         ("another company's admin", w.adminB, 404, 404), ("root", w.root, 200, 200)] {
            let p = try await w.gateway.call(.GET, path, as: .session(token))
            XCTAssertEqual(p.status, passportStatus, "passport as \(who)")
            let c = try await w.gateway.call(.GET, url, as: .session(token))
            XCTAssertEqual(c.status, careStatus, "care document as \(who)")
            let list = try await w.gateway.call(.GET, "/api/document/client/\(lead)", as: .session(token))
            XCTAssertEqual(list.status, careStatus, "care list as \(who)")
        }
        let unknown = try await w.gateway.call(.GET, "/api/document/file/\(UUID().uuidString.lowercased())", as: .session(w.adminA))
        XCTAssertEqual(unknown.status, 404)
    }

    func testAReplacedPassportAndADeletedClientsFilesAreRemoved() async throws {
        let w = try await world()
        let lead = try await w.lead()
        let first = DocumentsWorld.png + Array("first \(UUID())".utf8)
        let second = DocumentsWorld.jpeg + Array("second \(UUID())".utf8)
        let uploaded = try await w.passport(lead, first, name: "first.png")
        XCTAssertEqual(uploaded.status, 200, uploaded.excerpt)
        XCTAssertTrue(w.objects().contains(DocumentsWorld.sha256(first)))
        let replaced = try await w.passport(lead, second, name: "second.jpg")
        XCTAssertEqual(replaced.status, 200, replaced.excerpt)
        let download = try await w.gateway.call(.GET, "/api/clients/passport/\(lead)", as: .session(w.adminA))
        XCTAssertTrue(download.body == second, "the lead's passport is the new one")
        try await eventually("the replaced passport's file is removed") { !w.objects().contains(DocumentsWorld.sha256(first)) }
        XCTAssertTrue(w.objects().contains(DocumentsWorld.sha256(second)))

        // The same bytes on two clients are one file, kept while either names it.
        let care = DocumentsWorld.pdf(5000, seed: UInt64.random(in: 1...UInt64.max))
        let other = try await w.lead()
        for client in [lead, other] {
            let reply = try await w.careDocument(client, care)
            XCTAssertEqual(reply.status, 201, reply.excerpt)
        }
        // Removing a care document detaches it: gone from the list and the download, its row
        // deleted; the file stays while the other client's copy names it.
        let leadList = try await w.gateway.call(.GET, "/api/document/client/\(lead)", as: .session(w.adminA))
        let removedURL = try XCTUnwrap(leadList.json["data"]?.arrayValue?.first?.string("url"), leadList.excerpt)
        let rowsBefore = try await w.storedRows()
        let notYours = try await w.gateway.call(.DELETE, removedURL, as: .session(w.adminB))
        XCTAssertEqual(notYours.status, 404)
        let removed = try await w.gateway.call(.DELETE, removedURL, as: .session(w.adminA))
        XCTAssertEqual(removed.status, 200, removed.excerpt)
        let gone = try await w.gateway.call(.GET, removedURL, as: .session(w.adminA))
        XCTAssertEqual(gone.status, 404)
        let listAfter = try await w.gateway.call(.GET, "/api/document/client/\(lead)", as: .session(w.adminA))
        XCTAssertEqual(listAfter.json["data"]?.arrayValue?.count, 0, listAfter.excerpt)
        let rowsAfterRemoval = try await w.storedRows()
        XCTAssertEqual(rowsAfterRemoval, rowsBefore - 1)
        XCTAssertTrue(w.objects().contains(DocumentsWorld.sha256(care)))
        // Hard-deleting the client (admin API) removes its documents; the shared file stays for the other client.
        let deleted = try await w.gateway.call(.DELETE, "/api/admin/clients/client_\(lead)", as: .session(w.adminA))
        XCTAssertEqual(deleted.status, 200, deleted.excerpt)
        try await eventually("the deleted client's passport file is removed") { !w.objects().contains(DocumentsWorld.sha256(second)) }
        XCTAssertTrue(w.objects().contains(DocumentsWorld.sha256(care)), "another client still names this file")
        let otherList = try await w.gateway.call(.GET, "/api/document/client/\(other)", as: .session(w.adminA))
        let otherURL = try XCTUnwrap(otherList.json["data"]?.arrayValue?.first?.string("url"))
        let otherDownload = try await w.gateway.call(.GET, otherURL, as: .session(w.adminA))
        XCTAssertTrue(otherDownload.body == care)
        let verify = try w.verify()
        XCTAssertEqual(verify.status, 0, "\(verify.report)")
    }

    /// An operator tells a slow volume (the commit: fsync and rename) from slow clients (the
    /// receive): each accepted upload is timed by phase on the store's /metrics; a refused one
    /// is not.
    func testEachAcceptedUploadIsTimedByPhaseOnTheStoresMetrics() async throws {
        let w = try await world()
        let lead = try await w.lead()
        let phases = ["receive", "commit", "metadata"]
        func counts() async throws -> [Double] {
            let scrape = try await MetricsScrape.read(w.stack.documentStore, of: w.stack, http: http)
            return phases.map { scrape.value("clientele_document_upload_phase_seconds_count{phase=\"\($0)\"}") ?? 0 }
        }
        let before = try await counts()
        let accepted = try await w.careDocument(lead, DocumentsWorld.pdf(300_000, seed: UInt64.random(in: 1...UInt64.max)))
        XCTAssertEqual(accepted.status, 201, accepted.excerpt)
        let refused = try await w.careDocument(lead, DocumentsWorld.elf, name: "plan.pdf")
        XCTAssertEqual(refused.status, 415, refused.excerpt)
        let after = try await counts()
        for (index, phase) in phases.enumerated() {
            XCTAssertEqual(after[index] - before[index], 1, "\(phase): one accepted upload, one refused")
        }
    }
}
