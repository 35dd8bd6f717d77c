import Foundation
import HTTP
import TestSupport
import XCTest

/// Uploads as streams: memory that stays flat whatever the file's size, a slow client that
/// holds up no one, a client that disconnects and a store killed mid-upload or between its
/// rename and its metadata commit, each leaving either nothing or the whole document and
/// `clientctl documents verify` clean. Each test has its own stack (they kill and restart
/// the document store).
final class DocumentStreamingTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(120)))

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    private func start(_ name: String) async throws -> (ClienteleStack, DocumentsWorld) {
        let stack = try await ClienteleStack.start(name, gatewayEnvironment: DocumentsWorld.gatewayEnvironment,
                                                   documentEnvironment: ["DOCUMENT_SWEEP_GRACE_SECONDS": "1",
                                                                         "DOCUMENT_SWEEP_INTERVAL_SECONDS": "1"])
        return (stack, try await DocumentsWorld.make(stack, http: http))
    }

    /// The process's resident set, from /proc.
    static func residentBytes(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }

    func testA25MBUploadAndDownloadKeepTheGatewayAndTheStoreWithin32MBOfIdle() async throws {
        let (stack, w) = try await start("docmemory")
        defer { stack.stop() }
        let lead = try await w.lead()
        // Warm both paths up with a small upload and download, then take the idle sizes.
        let warm = try await w.careDocument(lead, DocumentsWorld.pdf(100_000, seed: 3))
        XCTAssertEqual(warm.status, 201, warm.excerpt)
        let pids = [("gateway", stack.gateway.process.pid), ("document-store", stack.documentStore.process.pid)]
        let idle = pids.map { Self.residentBytes($0.1) }
        let file = DocumentsWorld.pdf(25 * 1024 * 1024, seed: 99)
        let sampled = pids.map(\.1)
        let sampling = Task.detached { await DocumentStreamingTests.sample(sampled, from: idle) }
        let reply = try await w.careDocument(lead, file, name: "big.pdf")
        sampling.cancel()
        let peaks = await sampling.value
        XCTAssertEqual(reply.status, 201, reply.excerpt)
        XCTAssertEqual(reply.json["data"]?.string("sha256"), DocumentsWorld.sha256(file))
        for (index, (name, _)) in pids.enumerated() {
            let growth = peaks[index] - idle[index]
            print("\(name): idle \(idle[index] / 1024) KiB, peak growth \(growth / 1024) KiB during a 25 MB upload")
            XCTAssertLessThanOrEqual(growth, 32 * 1024 * 1024, "\(name) grew \(growth / 1024) KiB during a 25 MB upload")
        }

        // The same file downloaded whole, then its last 20 MB as a range: both processes stay
        // within 32 MB of their size before the downloads.
        let url = try XCTUnwrap(reply.json["data"]?.string("url"), reply.excerpt)
        let warmDownload = try await w.gateway.call(.GET, try XCTUnwrap(warm.json["data"]?.string("url")), as: .session(w.adminA))
        XCTAssertEqual(warmDownload.status, 200)
        let beforeDownload = pids.map { Self.residentBytes($0.1) }
        let downloadSampling = Task.detached { await DocumentStreamingTests.sample(sampled, from: beforeDownload) }
        let download = try await w.gateway.call(.GET, url, as: .session(w.adminA))
        let tail = try await w.gateway.call(.GET, url, as: .session(w.adminA), headers: ["Range": "bytes=\(file.count - 20_000_000)-"])
        downloadSampling.cancel()
        let downloadPeaks = await downloadSampling.value
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(download.headers["Content-Length"], String(file.count))
        XCTAssertEqual(DocumentsWorld.sha256(download.body), DocumentsWorld.sha256(file), "the download is byte-identical")
        XCTAssertEqual(tail.status, 206)
        XCTAssertEqual(tail.headers["Content-Range"], "bytes \(file.count - 20_000_000)-\(file.count - 1)/\(file.count)")
        XCTAssertTrue(tail.body == Array(file[(file.count - 20_000_000)...]), "the range is the file's tail")
        for (index, (name, _)) in pids.enumerated() {
            let growth = downloadPeaks[index] - beforeDownload[index]
            print("\(name): before \(beforeDownload[index] / 1024) KiB, peak growth \(growth / 1024) KiB during 45 MB of downloads")
            XCTAssertLessThanOrEqual(growth, 32 * 1024 * 1024, "\(name) grew \(growth / 1024) KiB during a 25 MB download")
        }
    }

    /// Each process's largest resident set, sampled until cancelled (from `initial`).
    static func sample(_ pids: [Int32], from initial: [Int]) async -> [Int] {
        var peaks = initial
        while !Task.isCancelled {
            let now = pids.map { residentBytes($0) }
            for index in peaks.indices { peaks[index] = max(peaks[index], now[index]) }
            // The sampling interval, not an ordering wait.
            try? await Task.sleep(for: .milliseconds(5))
        }
        return peaks
    }

    /// `curl` uploading `file` as a care document, throttled to `rate` bytes per second.
    private func curlUpload(_ w: DocumentsWorld, lead: Int, file: URL, rate: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", "/dev/null", "--limit-rate", rate, "-H", "Authorization: Bearer \(w.adminA)",
                             "-F", "file=@\(file.path);filename=slow.pdf", "-F", "clientId=\(lead)", "-F", "documentType=report",
                             w.stack.gateway.baseURL + "/api/document/upload"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testASlowClientHoldsUpNoOneAndADisconnectLeavesNothing() async throws {
        let (stack, w) = try await start("docslow")
        defer { stack.stop() }
        let lead = try await w.lead()
        let slowFile = FileManager.default.temporaryDirectory.appendingPathComponent("slow-\(UUID()).pdf")
        try Data(DocumentsWorld.pdf(200_000, seed: 7)).write(to: slowFile)
        defer { try? FileManager.default.removeItem(at: slowFile) }
        let rows = try await w.storedRows()
        let slow = try curlUpload(w, lead: lead, file: slowFile, rate: "1K")
        try await eventually("the slow upload reached the store") { !w.temporaryFiles().isEmpty }

        // Meanwhile other uploads go through at once.
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<6 {
                group.addTask { try await w.careDocument(lead, DocumentsWorld.pdf(1_000_000, seed: UInt64(100 + index))).status }
            }
            for try await status in group { XCTAssertEqual(status, 201) }
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(20), "uploads waited for the slow one")
        XCTAssertTrue(slow.isRunning, "the slow upload is still sending")

        // The slow client goes away mid-upload: nothing of it stays.
        kill(slow.processIdentifier, SIGKILL)
        slow.waitUntilExit()
        try await eventually("the abandoned upload's temporary file is removed") { w.temporaryFiles().isEmpty }
        let rowsAfter = try await w.storedRows()
        XCTAssertEqual(rowsAfter, rows + 6)
        let list = try await w.gateway.call(.GET, "/api/document/client/\(lead)", as: .session(w.adminA))
        XCTAssertEqual(list.json["data"]?.arrayValue?.count, 6, list.excerpt)
        let verify = try w.verify()
        XCTAssertEqual(verify.status, 0, "\(verify.report)")
    }

    func testAStoreKilledMidUploadOrBetweenRenameAndCommitLeavesNothingOrTheWhole() async throws {
        let (stack, w) = try await start("doccrash")
        defer { stack.stop() }
        let lead = try await w.lead()
        let rows = try await w.storedRows()

        // 1. Killed while the body streams in: after the restart, nothing.
        let slowFile = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID()).pdf")
        try Data(DocumentsWorld.pdf(200_000, seed: 11)).write(to: slowFile)
        defer { try? FileManager.default.removeItem(at: slowFile) }
        let slow = try curlUpload(w, lead: lead, file: slowFile, rate: "2K")
        try await eventually("the upload reached the store") { !w.temporaryFiles().isEmpty }
        stack.documentStore.process.signal(SIGKILL)
        _ = stack.documentStore.process.waitForExit()
        slow.waitUntilExit()
        try await stack.restartDocumentStore()
        XCTAssertTrue(w.temporaryFiles().isEmpty, "the restart removes the crashed upload's temporary file")
        var rowsNow = try await w.storedRows()
        XCTAssertEqual(rowsNow, rows)
        var verify = try w.verify()
        XCTAssertEqual(verify.status, 0, "\(verify.report)")

        // 2. Killed after the file's rename, before its metadata commit: the file is whole but
        // nothing names it; the sweep removes it and the upload is simply not there.
        try await stack.restartDocumentStore(environment: ["DOCUMENT_FAULT_PAUSE_AFTER_RENAME_MS": "60000"])
        let file = DocumentsWorld.pdf(300_000, seed: 12)
        let digest = DocumentsWorld.sha256(file)
        let upload = Task { try await w.careDocument(lead, file) }
        try await eventually("the file was renamed into place") { w.objects().contains(digest) }
        stack.documentStore.process.signal(SIGKILL)
        _ = stack.documentStore.process.waitForExit()
        let answered = try await upload.value
        XCTAssertGreaterThanOrEqual(answered.status, 500, "the client is told the upload failed: \(answered.excerpt)")
        try await stack.restartDocumentStore()
        rowsNow = try await w.storedRows()
        XCTAssertEqual(rowsNow, rows, "no metadata row was committed")
        try await eventually("the unreferenced file is swept") { !w.objects().contains(digest) }
        verify = try w.verify()
        XCTAssertEqual(verify.status, 0, "\(verify.report)")
        let list = try await w.gateway.call(.GET, "/api/document/client/\(lead)", as: .session(w.adminA))
        XCTAssertEqual(list.json["data"]?.arrayValue?.count, 0, list.excerpt)

        // The same bytes upload whole afterwards.
        let again = try await w.careDocument(lead, file)
        XCTAssertEqual(again.status, 201, again.excerpt)
        let url = try XCTUnwrap(again.json["data"]?.string("url"))
        let download = try await w.gateway.call(.GET, url, as: .session(w.adminA))
        XCTAssertTrue(download.body == file)
    }
    /// An upload stored and claimed for a client but never attached (the gateway's attach
    /// command failed, or the gateway died between its claim and its command) is removed by
    /// the sweep after the grace period, its file with it; an attached one stays.
    func testAClaimedUploadNeverAttachedIsSweptWithItsFile() async throws {
        let (stack, w) = try await start("docunattached")
        defer { stack.stop() }
        let lead = try await w.lead()
        let kept = DocumentsWorld.pdf(50_000, seed: 21)
        let attached = try await w.careDocument(lead, kept)
        XCTAssertEqual(attached.status, 201, attached.excerpt)
        let keptId = try XCTUnwrap(attached.json["data"]?.string("id"))

        // What the gateway does before its attach command, done by hand, then nothing more
        // (the document store's internal API, not the gateway's: so not through GatewayCaller).
        let internalHeaders: HTTPHeaders = ["X-Internal-Token": stack.internalToken]
        let owner = try await http.execute(HTTPClientRequest(method: .GET, url: stack.documentStore.baseURL + "/internal/v1/documents/\(keptId)",
                                                             headers: internalHeaders))
        let ownerJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(owner.body)) as? [String: Any])
        let orphan = DocumentsWorld.pdf(60_000, seed: 22)
        let body = Multipart([.file("file", "orphan.pdf", orphan)])
        var uploadHeaders = internalHeaders
        uploadHeaders.add(name: "Content-Type", value: body.contentType)
        let stored = try await http.execute(HTTPClientRequest(method: .POST,
                                                              url: stack.documentStore.baseURL + "/internal/v1/documents?use=care&field=file",
                                                              headers: uploadHeaders, body: body.bytes))
        XCTAssertEqual(stored.status.code, 201, String(decoding: stored.body, as: UTF8.self))
        let storedJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stored.body)) as? [String: Any])
        let orphanId = try XCTUnwrap((storedJSON["document"] as? [String: Any])?["id"] as? String)
        var claimHeaders = internalHeaders
        claimHeaders.add(name: "Content-Type", value: "application/json")
        let claim = try await http.execute(HTTPClientRequest(
            method: .POST, url: stack.documentStore.baseURL + "/internal/v1/documents/\(orphanId.lowercased())/claim", headers: claimHeaders,
            body: Array(try JSONSerialization.data(withJSONObject: ["tenantId": ownerJSON["tenantId"], "clientId": ownerJSON["clientId"]]))))
        XCTAssertEqual(claim.status.code, 200, String(decoding: claim.body, as: UTF8.self))
        XCTAssertTrue(w.objects().contains(DocumentsWorld.sha256(orphan)))

        // While the command service cannot say whether it is attached, no round removes it.
        stack.commandService.process.signal(SIGKILL)
        _ = stack.commandService.process.waitForExit()
        try await eventually("the claim is older than the grace period") { try await w.claimsOlderThan(seconds: 2) }
        let blind = try await http.execute(HTTPClientRequest(method: .POST, url: stack.documentStore.baseURL + "/internal/v1/document-sweep",
                                                             headers: internalHeaders))
        XCTAssertEqual(blind.status.code, 200)
        let blindJSON = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(blind.body)) as? [String: Any])
        XCTAssertEqual(blindJSON["unattached"] as? Int, 0)
        let rowsWhileBlind = try await w.storedRows()
        XCTAssertEqual(rowsWhileBlind, 2, "nothing claimed is removed while the command service is down")
        try await stack.restartCommandService()

        // The sweep (every second, grace one second) removes the claimed, unattached upload.
        try await eventually("the claimed but unattached upload's row is swept") { try await w.storedRows() == 1 }
        try await eventually("its file is swept") { !w.objects().contains(DocumentsWorld.sha256(orphan)) }
        let gone = try await http.execute(HTTPClientRequest(method: .GET,
                                                            url: stack.documentStore.baseURL + "/internal/v1/documents/\(orphanId.lowercased())",
                                                            headers: internalHeaders))
        XCTAssertEqual(gone.status.code, 404)

        // The attached document outlives several more rounds and still downloads.
        let rounds = try await http.execute(HTTPClientRequest(method: .POST, url: stack.documentStore.baseURL + "/internal/v1/document-sweep",
                                                              headers: internalHeaders))
        XCTAssertEqual(rounds.status.code, 200)
        let url = try XCTUnwrap(attached.json["data"]?.string("url"))
        let download = try await w.gateway.call(.GET, url, as: .session(w.adminA))
        XCTAssertEqual(download.status, 200)
        XCTAssertTrue(download.body == kept)
        let verify = try w.verify()
        XCTAssertEqual(verify.status, 0, "\(verify.report)")
    }
}
