import ClientDomain
import Crypto
import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// A client's erasure through the admin API (`POST`/`GET /api/admin/clients/:id/erase`) on the
/// real gateway and services: the client is gone from every face, the search and stats read
/// models, while the other client stays; the receipt lists each step; a second POST appends
/// nothing and answers the same receipt; another company's admin gets 404, a non-admin 403.
final class ErasureTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    func testAdminErasureRemovesTheClientFromEveryFaceAndAnswersItsReceipt() async throws {
        let faces = try await CompanyFaces.make(http: http)
        let other = try await CompanyFaces.make(http: http)
        let suffix = String(UUID().uuidString.prefix(6)).lowercased()
        let sales = try await user(faces, role: "sales", suffix: suffix)
        let erinId = try await adminCreate(faces, ["email": .string("erin.\(suffix)@example.com"), "displayName": "Erin Eraseme",
                                                   "phone": "+61 400 111 222", "company": "Erasure Pty"])
        let keeperId = try await adminCreate(faces, ["email": .string("kim.\(suffix)@example.com"), "displayName": "Kim Keeper"])
        let number = try XCTUnwrap(Int64(erinId.dropFirst("client_".count)))
        let stack = try await CompanyFaces.stack.stack()
        let commands = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        defer { Task { await commands.close() } }
        let uuid = try await commands.query("""
            SELECT stream_id FROM events WHERE type = 'client.created' AND (data ->> 'number')::bigint = $1
            """, [number])[0].decode(0, as: UUID.self).uuidString.lowercased()
        let v1 = try await faces.gateway.call(.GET, "/api/v1/clients/\(uuid)", as: .apiKey(faces.apiKey))
        XCTAssertEqual(v1.status, 200, v1.excerpt)
        _ = try await faces.stats { $0["overview"]?["totalClients"] == .int(2) }

        let path = "/api/admin/clients/\(erinId)/erase"
        let foreign = try await other.gateway.call(.POST, path, as: .session(other.admin))
        XCTAssertEqual(foreign.status, 404, "another company's admin: \(foreign.excerpt)")
        let byUUID = try await other.gateway.call(.POST, "/api/admin/clients/\(uuid)/erase", as: .session(other.admin))
        XCTAssertEqual(byUUID.status, 404, "another company's admin, by UUID: \(byUUID.excerpt)")
        let notAdmin = try await faces.gateway.call(.POST, path, as: .session(sales))
        XCTAssertEqual(notAdmin.status, 403, notAdmin.excerpt)
        let none = try await faces.gateway.call(.GET, path, as: .session(faces.admin))
        XCTAssertEqual(none.status, 404, "no receipt before the erasure: \(none.excerpt)")

        let erased = try await faces.gateway.call(.POST, path, as: .session(faces.admin))
        XCTAssertEqual(erased.status, 200, erased.excerpt)
        XCTAssertEqual(erased.json["success"], true)
        let receipt = try XCTUnwrap(erased.json["data"])
        XCTAssertEqual(receipt["clientId"], .string(erinId))
        XCTAssertEqual(receipt["by"]?["kind"], "user")
        XCTAssertNotNil(receipt.string("erasedAt"))
        let states = Self.states(receipt)
        XCTAssertEqual(states.map(\.step), ["key", "log", "search", "stats", "documents", "crm"])
        for step in ["log", "search", "stats", "documents"] {
            XCTAssertEqual(states.first { $0.step == step }?.state, "done", "\(step): \(jsonText(receipt))")
        }
        // The key is shredded with the append; crm-sync does not run in this stack, so whether
        // the company syncs is not known yet.
        XCTAssertEqual(states.first { $0.step == "key" }?.state, "done", jsonText(receipt))
        XCTAssertEqual(states.first { $0.step == "crm" }?.state, "pending", jsonText(receipt))
        XCTAssertEqual(receipt["complete"], false)
        let shredded = try await commands.query("""
            SELECT count(*) FROM client_keys WHERE stream_id = $1::uuid AND wrapped_key IS NULL AND erased_at IS NOT NULL
            """, [uuid])[0].decode(0, as: Int64.self)
        XCTAssertEqual(shredded, 1, "the client's data key is gone")

        // Gone from every face, at once (the POST waited for both read models).
        let admin = try await faces.gateway.call(.GET, "/api/admin/clients/\(erinId)", as: .session(faces.admin))
        XCTAssertEqual(admin.status, 404, admin.excerpt)
        let organization = try await faces.gateway.call(.GET, "/api/v1/clients/\(uuid)", as: .apiKey(faces.apiKey))
        XCTAssertEqual(organization.status, 404, organization.excerpt)
        let leads = try await faces.gateway.call(.GET, "/api/clients/\(number)", as: .session(faces.admin))
        XCTAssertEqual(leads.status, 404, leads.excerpt)
        let search = try await faces.gateway.call(.GET, "/api/admin/clients?search=Eraseme", as: .session(faces.admin))
        XCTAssertEqual(search.json["data"]?["clients"], .array([]), search.excerpt)
        let keeper = try await faces.gateway.call(.GET, "/api/admin/clients/\(keeperId)", as: .session(faces.admin))
        XCTAssertEqual(keeper.status, 200, "the other client is untouched: \(keeper.excerpt)")
        XCTAssertEqual(keeper.json["data"]?["displayName"], "Kim Keeper")
        let figures = try await faces.gateway.call(.GET, "/api/admin/clients/stats", as: .session(faces.admin))
        XCTAssertEqual(figures.json["data"]?["overview"]?["totalClients"], .int(1), figures.excerpt)
        let searchRow = try await Self.searchRow(stack, uuid)
        for value in ["Erin", "Eraseme", "erin.\(suffix)", "400 111 222", "Erasure Pty"] {
            XCTAssertFalse(searchRow.contains(value), "the search row keeps \(value): \(searchRow)")
        }

        // The receipt reads back; a second POST appends nothing and answers the same receipt.
        let read = try await faces.gateway.call(.GET, path, as: .session(faces.admin))
        XCTAssertEqual(read.status, 200, read.excerpt)
        XCTAssertEqual(read.json["data"]?["erasedAt"], receipt["erasedAt"])
        XCTAssertEqual(Self.states(try XCTUnwrap(read.json["data"])).map(\.state), states.map(\.state))
        let again = try await faces.gateway.call(.POST, path, as: .session(faces.admin))
        XCTAssertEqual(again.status, 200, again.excerpt)
        XCTAssertEqual(again.json["data"]?["erasedAt"], receipt["erasedAt"])
        let appended = try await commands.query("SELECT count(*) FROM events WHERE stream_id = $1::uuid AND type = 'client.erased'",
                                                [uuid])[0].decode(0, as: Int64.self)
        XCTAssertEqual(appended, 1, "one client.erased, however often asked")
        let byId = try await faces.gateway.call(.GET, "/api/admin/clients/\(uuid)/erase", as: .session(faces.admin))
        XCTAssertEqual(byId.status, 200, "the receipt by the client's UUID: \(byId.excerpt)")
        let foreignRead = try await other.gateway.call(.GET, path, as: .session(other.admin))
        XCTAssertEqual(foreignRead.status, 404, foreignRead.excerpt)
        let update = try await faces.gateway.call(.PATCH, "/api/v1/clients/\(uuid)", as: .apiKey(faces.apiKey), json: ["name": "Back"])
        XCTAssertEqual(update.status, 404, "an erased client takes no command: \(update.excerpt)")
    }

    /// A client deleted before is erased by its UUID (a deleted client keeps no number).
    func testADeletedClientIsErasedByItsUUID() async throws {
        let faces = try await CompanyFaces.make(http: http)
        let created = try await faces.gateway.call(.POST, "/api/v1/clients", as: .apiKey(faces.apiKey), json: ["name": "Dee Deleted"])
        XCTAssertEqual(created.status, 201, created.excerpt)
        let uuid = try XCTUnwrap(created.json["data"]?.string("id"))
        let deleted = try await faces.gateway.call(.DELETE, "/api/v1/clients/\(uuid)", as: .apiKey(faces.apiKey))
        XCTAssertTrue((200..<300).contains(deleted.status), deleted.excerpt)
        let erased = try await faces.gateway.call(.POST, "/api/admin/clients/\(uuid)/erase", as: .session(faces.admin))
        XCTAssertEqual(erased.status, 200, erased.excerpt)
        let states = Self.states(try XCTUnwrap(erased.json["data"]))
        XCTAssertEqual(states.first { $0.step == "search" }?.state, "done", erased.excerpt)
        XCTAssertEqual(states.first { $0.step == "stats" }?.state, "done", erased.excerpt)
        let missing = try await faces.gateway.call(.POST, "/api/admin/clients/\(UUID().uuidString.lowercased())/erase",
                                                   as: .session(faces.admin))
        XCTAssertEqual(missing.status, 404, missing.excerpt)
    }

    /// A projection that had not read the client before its key was shredded (it was behind)
    /// still reaches the erased version once it catches up: the first POST answers its step
    /// pending, a later one done, and the client counts nowhere.
    func testAnErasureCompletesOnceAProjectionThatWasBehindCatchesUp() async throws {
        let faces = try await CompanyFaces.make(http: http)
        let stats = try await CompanyFaces.stack.stack().statsProjection.process
        stats.signal(SIGSTOP)
        var frozen = true
        defer { if frozen { stats.signal(SIGCONT) } }
        let created = try await faces.gateway.call(.POST, "/api/v1/clients", as: .apiKey(faces.apiKey), json: ["name": "Bea Behind"])
        XCTAssertEqual(created.status, 201, created.excerpt)
        let uuid = try XCTUnwrap(created.json["data"]?.string("id"))
        let path = "/api/admin/clients/\(uuid)/erase"
        let first = try await faces.gateway.call(.POST, path, as: .session(faces.admin))
        XCTAssertEqual(first.status, 200, first.excerpt)
        let before = Self.states(try XCTUnwrap(first.json["data"]))
        XCTAssertEqual(before.first { $0.step == "search" }?.state, "done", first.excerpt)
        XCTAssertEqual(before.first { $0.step == "stats" }?.state, "pending", "the stats projection is frozen: \(first.excerpt)")

        stats.signal(SIGCONT)
        frozen = false
        let again = try await faces.gateway.call(.POST, path, as: .session(faces.admin))
        XCTAssertEqual(again.status, 200, again.excerpt)
        XCTAssertEqual(Self.states(try XCTUnwrap(again.json["data"])).first { $0.step == "stats" }?.state, "done", again.excerpt)
        let figures = try await faces.gateway.call(.GET, "/api/admin/clients/stats", as: .session(faces.admin))
        XCTAssertEqual(figures.json["data"]?["overview"]?["totalClients"], .int(0), figures.excerpt)
    }

    /// `clientctl privacy purge` lists, then with `--yes` erases, the care clients terminated
    /// before the date (an active one stays); `clientctl privacy erase` erases one and prints its
    /// receipt; the help names the NDIS seven-year record-keeping period.
    func testClientctlPurgesTerminatedCareClientsAndErasesOne() async throws {
        let faces = try await CompanyFaces.make(http: http)
        let stack = try await CompanyFaces.stack.stack()
        func careClient(_ first: String) async throws -> String {
            let ndis = "43" + String(format: "%07d", Int.random(in: 0...9_999_999))
            let reply = try await faces.gateway.call(.POST, "/api/clientDetails/create", as: .session(faces.admin), json: [
                "personalInfo": ["firstName": .string(first), "lastName": "Purgeable", "dateOfBirth": "1990-01-01", "phone": "+61400000000"],
                "ndisDetails": ["ndisNumber": .string(ndis)],
            ])
            XCTAssertEqual(reply.status, 201, reply.excerpt)
            return try XCTUnwrap(reply.json["data"]?.string("id"), reply.excerpt)
        }
        let tess = try await careClient("Tess")
        let cal = try await careClient("Cal")
        let commands = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        defer { Task { await commands.close() } }
        func uuid(_ number: String) async throws -> String {
            try await commands.query("SELECT stream_id FROM events WHERE type = 'client.created' AND (data ->> 'number')::bigint = $1",
                                     [try XCTUnwrap(Int64(number))])[0].decode(0, as: UUID.self).uuidString.lowercased()
        }
        let (tessId, calId) = (try await uuid(tess), try await uuid(cal))
        let terminated = try await faces.gateway.call(.PUT, "/api/user/updateUserStatus/\(tess)/terminated", as: .session(faces.admin))
        XCTAssertEqual(terminated.status, 200, terminated.excerpt)
        let environment = ["INTERNAL_TOKEN": stack.internalToken, "COMMAND_SERVICE_URL": stack.commandService.baseURL,
                           "SEARCH_SERVICE_URL": stack.searchProjection.baseURL, "STATS_SERVICE_URL": stack.statsProjection.baseURL,
                           "DOCUMENT_SERVICE_URL": stack.documentStore.baseURL, "CRM_SYNC_URL": "http://127.0.0.1:1"]
        let tomorrow = String(Timestamp.format(Date().addingTimeInterval(86_400)).prefix(10))
        XCTAssertTrue(try stack.clientctl(["help"]).contains("seven years"), "the help names the NDIS record-keeping period")

        let listed = try stack.clientctl(["privacy", "purge", "--terminated-before", tomorrow], environment: environment)
        XCTAssertTrue(listed.contains(tessId), listed)
        XCTAssertFalse(listed.contains(calId), "an active client is not purged: \(listed)")
        let still = try await faces.gateway.call(.GET, "/api/user/clientDetails/\(tess)", as: .session(faces.admin))
        XCTAssertEqual(still.status, 200, "listing erases nothing: \(still.excerpt)")
        let purged = try stack.clientctl(["privacy", "purge", "--terminated-before", tomorrow, "--yes"], environment: environment)
        XCTAssertTrue(purged.contains("\(tessId)  erased"), purged)
        let gone = try await faces.gateway.call(.GET, "/api/user/clientDetails/\(tess)", as: .session(faces.admin))
        XCTAssertEqual(gone.status, 404, gone.excerpt)
        let calStays = try await faces.gateway.call(.GET, "/api/user/clientDetails/\(cal)", as: .session(faces.admin))
        XCTAssertEqual(calStays.status, 200, calStays.excerpt)

        let printed = try stack.clientctl(["privacy", "erase", calId], environment: environment)
        let receipt = try JSONParser.parse(Array(printed.utf8))
        XCTAssertEqual(receipt.string("clientId")?.lowercased(), calId, printed)
        XCTAssertEqual(receipt["by"]?.string("id"), "clientctl")
        let states = Self.states(receipt)
        for step in ["log", "search", "stats", "documents"] {
            XCTAssertEqual(states.first { $0.step == step }?.state, "done", "\(step): \(printed)")
        }
        let calGone = try await faces.gateway.call(.GET, "/api/user/clientDetails/\(cal)", as: .session(faces.admin))
        XCTAssertEqual(calGone.status, 404, calGone.excerpt)
        let adminReceipt = try await faces.gateway.call(.GET, "/api/admin/clients/\(calId)/erase", as: .session(faces.admin))
        XCTAssertEqual(adminReceipt.status, 200, "the receipt reads through the admin route too: \(adminReceipt.excerpt)")
    }

    /// The erased client's documents: their rows and files are gone from the document store at
    /// once, except a file another client's document holds too; the other client's stay.
    func testErasureDeletesTheClientsDocumentsAndTheFilesNoOtherClientHolds() async throws {
        // The faces' stack keeps the sweep's default grace (an hour), so a file gone within the
        // test was deleted by the erasure itself. (One stack fewer: the tests' PostgreSQL serves
        // every stack of the run.)
        let w = try await DocumentsWorld.make(try await CompanyFaces.stack.stack(), http: http, rootEmail: CompanyFaces.rootEmail,
                                              rootPassword: CompanyFaces.rootPassword)
        let (erased, kept) = (try await w.lead(), try await w.lead())
        let passport = DocumentsWorld.pdf(4096, seed: UInt64.random(in: 1...UInt64.max))
        let plan = DocumentsWorld.pdf(5000, seed: UInt64.random(in: 1...UInt64.max))
        let shared = DocumentsWorld.pdf(6000, seed: UInt64.random(in: 1...UInt64.max))
        for reply in [try await w.passport(erased, passport), try await w.careDocument(erased, plan),
                      try await w.careDocument(erased, shared), try await w.careDocument(kept, shared)] {
            XCTAssertTrue((200..<300).contains(reply.status), reply.text)
        }
        func digest(_ bytes: [UInt8]) -> String { Hex.encode(SHA256.hash(bytes)) }
        XCTAssertTrue(w.objects().isSuperset(of: [digest(passport), digest(plan), digest(shared)]))
        let rowsBefore = try await w.storedRows()

        let reply = try await w.gateway.call(.POST, "/api/admin/clients/client_\(erased)/erase", as: .session(w.adminA))
        XCTAssertEqual(reply.status, 200, reply.text)
        let steps = reply.json["data"]?.array("steps") ?? []
        XCTAssertEqual(steps.first { $0.string("step") == "documents" }?.string("state"), "done", reply.excerpt)
        let objects = w.objects()
        XCTAssertFalse(objects.contains(digest(passport)), "the passport's file is gone")
        XCTAssertFalse(objects.contains(digest(plan)), "the care document's file is gone")
        XCTAssertTrue(objects.contains(digest(shared)), "a file another client's document holds stays")
        let rowsAfter = try await w.storedRows()
        XCTAssertEqual(rowsAfter, rowsBefore - 3, "the erased client's three rows are gone, the other's stays")
        let keptDocuments = try await w.gateway.call(.GET, "/api/clients/\(kept)", as: .session(w.adminA))
        XCTAssertEqual(keptDocuments.status, 200, keptDocuments.text)
        let foreign = try await w.gateway.call(.POST, "/api/admin/clients/client_\(kept)/erase", as: .session(w.adminB))
        XCTAssertEqual(foreign.status, 404, "another company's admin: \(foreign.text)")
    }

    // MARK: Parts

    static func states(_ receipt: JSONValue) -> [(step: String, state: String)] {
        guard case .array(let steps)? = receipt["steps"] else { return [] }
        return steps.map { ($0.string("step") ?? "?", $0.string("state") ?? "?") }
    }

    /// The search read model's row of `id` as text (every column).
    static func searchRow(_ stack: ClienteleStack, _ id: String) async throws -> String {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.searchDatabase, poolSize: 1))
        defer { Task { await pool.close() } }
        return try await pool.query("SELECT coalesce((SELECT to_jsonb(c)::text FROM clients c WHERE id = $1::uuid), '')", [id])[0]
            .decode(0, as: String.self)
    }

    private func adminCreate(_ faces: CompanyFaces, _ body: [String: JSONValue]) async throws -> String {
        let reply = try await faces.gateway.call(.POST, "/api/admin/clients", as: .session(faces.admin), json: .object(body))
        XCTAssertEqual(reply.status, 200, reply.excerpt)
        return try XCTUnwrap(reply.json["data"]?.string("id"), reply.excerpt)
    }

    /// A user of `faces`' company with `role`, logged in.
    private func user(_ faces: CompanyFaces, role: String, suffix: String) async throws -> String {
        let email = "\(role)-\(suffix)@input.test", password = "an erasure test password"
        let created = try await faces.gateway.call(.POST, "/api/users", as: .session(faces.root), json: [
            "email": .string(email), "name": "Sam Sales", "password": .string(password), "roles": [.string(role)],
            "companies": [.string(faces.companyId)],
        ])
        XCTAssertEqual(created.status, 201, created.excerpt)
        return try await faces.gateway.login(email: email, password: password)
    }
}
