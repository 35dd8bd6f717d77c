import Crypto
import Foundation
import HTTP
import Kafka
import Postgres
import TestSupport
import XCTest

/// Issue 24's end-to-end erasure check on a real stack with crm-sync and the fake CRM: after a
/// care client's erasure (its receipt complete), its name, email, phone and NDIS number are in
/// no database of the stack (`pg_dump` of each), no record of the topic, no file of the document
/// directory and no log line the stack's services and crm-sync wrote; a rebuild of the search
/// read model shows nothing of it while the kept client is whole; the CRM got its gdpr-delete.
final class ErasureLeavesNoTraceTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    func testAnErasedCareClientLeavesNoTraceInAnyStoreLogOrRebuild() async throws {
        let stack = try await CompanyFaces.stack.stack()
        let w = try await DocumentsWorld.make(stack, http: http, rootEmail: CompanyFaces.rootEmail, rootPassword: CompanyFaces.rootPassword)
        let crm = try await FakeCRM.start()
        let sync = try await CRMSyncTests.startSync("trace", stack: stack, http: http,
                                                    environment: ["CRM_ALLOW_INSECURE": "1", "CRM_ALLOW_PRIVATE_ADDRESSES": "1"])
        let configured = try await CRMSyncTests.configure(sync, stack: stack, http: http, company: w.companyA.id, baseURL: crm.baseURL)
        XCTAssertEqual(configured.status, 200, configured.text)

        let suffix = String(UUID().uuidString.filter(\.isLetter).prefix(4)).lowercased()
        let ndis = CareAPITests.ndisNumber()
        let erased = (first: "Quintessa", last: "Vormbrandt\(suffix)", email: "quintessa.vormbrandt.\(suffix)@example.com",
                      phone: "+61491570156", ndis: ndis)
        let kept = (first: "Bartholomew", last: "Keepsake\(suffix)", email: "bart.keepsake.\(suffix)@example.com",
                    phone: "+61491570999", ndis: CareAPITests.ndisNumber())
        // Each value as written, and the phone's and the NDIS number's digits as a store may
        // normalise them.
        let traces = [erased.first, erased.last, erased.email, erased.phone, "491570156", erased.ndis]
        func careClient(_ person: (first: String, last: String, email: String, phone: String, ndis: String)) async throws -> Int {
            var body = CareAPITests.documentBody(ndis: person.ndis, email: person.email)
            body["personalInfo"] = ["firstName": .string(person.first), "lastName": .string(person.last), "dateOfBirth": "1961-03-14",
                                    "gender": "female", "phone": .string(person.phone), "email": .string(person.email)]
            let reply = try await w.gateway.call(.POST, "/api/clientDetails/create", as: .session(w.adminA), json: .object(body))
            XCTAssertEqual(reply.status, 201, reply.excerpt)
            let data = reply.json["data"]
            return try XCTUnwrap(data?.int("id").map { Int($0) } ?? data?.string("id").flatMap { Int($0) }, reply.excerpt)
        }
        let erasedNumber = try await careClient(erased)
        let keptNumber = try await careClient(kept)
        let synced = try await eventuallyValue("the CRM holds the care client") { crm.contact(where: "lastname", is: erased.last) }
        let uuid = try XCTUnwrap(synced.properties[FakeCRM.idProperty]).lowercased()
        _ = try await eventuallyValue("the CRM holds the kept client") { crm.contact(where: "lastname", is: kept.last) }
        let plan = DocumentsWorld.pdf(4096, seed: UInt64.random(in: 1...UInt64.max))
        let uploaded = try await w.careDocument(erasedNumber, plan, name: "\(erased.last)-\(erased.ndis)-plan.pdf")
        XCTAssertTrue((200..<300).contains(uploaded.status), uploaded.excerpt)
        XCTAssertTrue(w.objects().contains(DocumentsWorld.sha256(plan)), "the document's file is stored")
        let before = try pgDump(stack.searchDatabase) + pgDump(stack.documentDatabase)
        for value in [erased.last, erased.email, erased.ndis] {
            XCTAssertTrue(before.contains(value), "the check can see \(value) before the erasure")
        }

        let path = "/api/admin/clients/client_\(erasedNumber)/erase"
        let erasure = try await w.gateway.call(.POST, path, as: .session(w.adminA))
        XCTAssertEqual(erasure.status, 200, erasure.excerpt)
        let receipt = try await eventuallyValue("the receipt is complete", timeout: .seconds(60)) { () -> JSONValue? in
            let read = try await w.gateway.call(.GET, path, as: .session(w.adminA))
            let data = read.json["data"]
            return data?.bool("complete") == true ? data : nil
        }
        let steps = receipt.array("steps")
        XCTAssertEqual(steps.compactMap { $0.string("step") }, ["key", "log", "search", "stats", "documents", "crm"])
        for step in steps {
            XCTAssertTrue(["done", "not_applicable"].contains(step.string("state") ?? ""), jsonText(step))
        }
        XCTAssertEqual(steps.first { $0.string("step") == "crm" }?.string("state"), "done")
        XCTAssertTrue(crm.gdprDeleted.contains(uuid), "the CRM got the gdpr-delete: \(crm.gdprDeleted)")
        // (The fake CRM's own call log keeps the upserts it received: that is the CRM's side.)
        XCTAssertNil(crm.contact(clientId: uuid), "the CRM holds no contact of the client")
        // crm-sync has nothing more to write; its log is complete.
        sync.process.process.stop()

        // Every database of the stack, crm-sync's included.
        let databases = ["command": stack.commandDatabase, "search": stack.searchDatabase, "stats": stack.statsDatabase,
                         "documents": stack.documentDatabase, "gateway": stack.gatewayDatabase, "crm-sync": sync.database]
        for (name, database) in databases.sorted(by: { $0.key < $1.key }) {
            let dump = try pgDump(database)
            XCTAssertTrue(dump.contains("PostgreSQL database dump complete"), "\(name): \(dump.suffix(300))")
            for value in traces {
                XCTAssertFalse(dump.contains(value), "the \(name) database keeps \(value): \(Self.around(value, in: dump))")
                XCTAssertFalse(dump.contains(Hex.encode(Array(value.utf8))), "the \(name) database keeps \(value) as bytes")
            }
        }
        // The topic, read from its start: values, keys and headers.
        let records = try await KafkaConsumer.readToEnd(topic: stack.topic, partitions: 4, broker: stack.broker)
        XCTAssertFalse(records.isEmpty)
        let log = records.map { record in
            ([record.key ?? [], record.value] + record.headers.map { Array($0.name.utf8) + ($0.value ?? []) })
                .map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }.joined(separator: "\n")
        for value in traces { XCTAssertFalse(log.contains(value), "the topic keeps \(value): \(Self.around(value, in: log))") }
        // The stack's directory: every service's and crm-sync's log, and the document directory.
        let files = try Self.files(under: stack.logDirectory)
        XCTAssertTrue(files.contains { $0.path.hasSuffix("crm-sync.log") } && files.contains { $0.path.hasSuffix("gateway.log") },
                      "the logs are read: \(files.map(\.lastPathComponent))")
        XCTAssertFalse(w.objects().contains(DocumentsWorld.sha256(plan)), "the document's file is gone")
        for file in files {
            let bytes = try Data(contentsOf: file)
            for value in traces {
                XCTAssertNil(bytes.range(of: Data(value.utf8)), "\(file.path) keeps \(value)")
            }
        }

        // A rebuild of the search read model shows nothing of the client; the kept client is whole.
        let output = try stack.clientctl(["rebuild", "search"], environment: ["SEARCH_SERVICE_URL": stack.searchProjection.baseURL,
                                                                             "INTERNAL_TOKEN": stack.internalToken])
        XCTAssertTrue(output.contains("rebuild of search done"), output)
        let rebuilt = try pgDump(stack.searchDatabase)
        for value in traces { XCTAssertFalse(rebuilt.contains(value), "the rebuilt search database keeps \(value)") }
        for value in [kept.first, kept.last, kept.email, kept.phone, kept.ndis] {
            XCTAssertTrue(rebuilt.contains(value), "the rebuilt search database lost the kept client's \(value)")
        }
        let gone = try await w.gateway.call(.GET, "/api/user/clientDetails/\(erasedNumber)", as: .session(w.adminA))
        XCTAssertEqual(gone.status, 404, gone.excerpt)
        let keeper = try await w.gateway.call(.GET, "/api/user/clientDetails/\(keptNumber)", as: .session(w.adminA))
        XCTAssertEqual(keeper.status, 200, keeper.excerpt)
        for value in [kept.first, kept.last, kept.email, kept.phone, kept.ndis] {
            XCTAssertTrue(keeper.text.contains(value), "the kept client shows \(value): \(keeper.excerpt)")
        }
        XCTAssertNotNil(crm.contact(where: "lastname", is: kept.last), "the kept client stays in the CRM")
        try await crm.stop()
    }

    // MARK: Parts

    /// A plain `pg_dump` of `database` (a connection string), with the PostgreSQL binaries the tests use.
    private func pgDump(_ database: String) throws -> String {
        let result = try ExternalProgram.run(ProjectPaths.postgresBin.appendingPathComponent("pg_dump").path,
                                             ["--no-owner", "--dbname=\(database)"])
        guard result.status == 0 else { throw TestSupportError("pg_dump exited \(result.status): \(result.standardError)") }
        return result.standardOutput
    }

    /// Every regular file under `directory`.
    private static func files(under directory: URL) throws -> [URL] {
        try FileManager.default.subpathsOfDirectory(atPath: directory.path).map { directory.appendingPathComponent($0) }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }

    /// The text around `value`'s first occurrence in `text`, for a failure message.
    private static func around(_ value: String, in text: String) -> String {
        guard let range = text.range(of: value) else { return "" }
        let start = text.index(range.lowerBound, offsetBy: -200, limitedBy: text.startIndex) ?? text.startIndex
        let end = text.index(range.upperBound, offsetBy: 200, limitedBy: text.endIndex) ?? text.endIndex
        return String(text[start..<end])
    }
}
