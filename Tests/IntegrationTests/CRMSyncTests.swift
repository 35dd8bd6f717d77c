import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// crm-sync against the real PostgreSQL, broker and services, and the fake CRM: clients
/// created, changed and deleted through the organization API reach the company's CRM with
/// the mapped properties, in order, through rate limits and failures, and what the sync
/// refuses to connect to.
final class CRMSyncTests: XCTestCase {
    static let adminEmail = "root@crm.test"
    static let adminPassword = "crm-bootstrap-\(UUID().uuidString)"
    /// The port of the crm-sync the gateway calls (`CRM_SYNC_URL`), started by the test that uses it.
    static let gatewayFacingPort = (try? FreePort.next()) ?? 1
    private static let shared = SharedStack("crmsync", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword, "CRM_SYNC_URL": "http://127.0.0.1:\(gatewayFacingPort)",
    ])
    static let secretKey = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()

    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    struct Reply {
        var status: Int
        var body: [UInt8]
        var headers = HTTPHeaders()
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// A crm-sync process of the test's own (its own database), on the stack's topic.
    struct Sync {
        var process: ServiceProcess
        var database: String
    }

    private func startSync(_ name: String, stack: ClienteleStack, environment: [String: String] = [:],
                           database existing: String? = nil) async throws -> Sync {
        try await Self.startSync(name, stack: stack, http: http, environment: environment, database: existing)
    }

    /// A crm-sync of a test's own on `stack`'s topic (also used by `ErasureLeavesNoTraceTests`);
    /// its logs are under the stack's log directory.
    static func startSync(_ name: String, stack: ClienteleStack, http: HTTPClient, environment: [String: String] = [:],
                          database existing: String? = nil) async throws -> Sync {
        let database = try existing ?? stack.postgres.createDatabase("crmsync_\(name)")
        let logDirectory = stack.logDirectory.appendingPathComponent("crm-\(name)-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let process = try ServiceProcess.start("crm-sync", environment: [
            "DATABASE_URL": database, "KAFKA_BOOTSTRAP_SERVERS": stack.broker.bootstrapServers, "EVENTS_TOPIC": stack.topic,
            "EVENTS_TOPIC_PARTITIONS": "4", "INTERNAL_TOKEN": stack.internalToken, "CRM_SECRET_KEY": Self.secretKey,
            "CRM_REQUEST_TIMEOUT_MS": "1000", "COMMAND_SERVICE_URL": stack.commandService.baseURL,
        ].merging(environment) { $1 }, logDirectory: logDirectory)
        try await process.waitUntilReady(client: http)
        return Sync(process: process, database: database)
    }

    private func lenientSync(_ name: String, stack: ClienteleStack) async throws -> Sync {
        try await startSync(name, stack: stack, environment: ["CRM_ALLOW_INSECURE": "1", "CRM_ALLOW_PRIVATE_ADDRESSES": "1"])
    }

    private func expect(_ reply: Reply, _ status: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reply.status, status, reply.text, file: file, line: line)
    }

    private func call(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], body: String? = nil) async throws -> Reply {
        var headers = headers
        if body != nil { headers.add(name: "Content-Type", value: "application/json") }
        let response = try await http.execute(HTTPClientRequest(method: method, url: url, headers: headers, body: Array((body ?? "").utf8)))
        return Reply(status: response.status.code, body: response.body, headers: response.headers)
    }

    private func configure(_ sync: Sync, stack: ClienteleStack, company: String, baseURL: String, token: String = "pat-test-token",
                           enabled: Bool = true) async throws -> Reply {
        try await Self.configure(sync, stack: stack, http: http, company: company, baseURL: baseURL, token: token, enabled: enabled)
    }

    /// Saves `company`'s CRM settings in `sync` (its internal route).
    static func configure(_ sync: Sync, stack: ClienteleStack, http: HTTPClient, company: String, baseURL: String,
                          token: String = "pat-test-token", enabled: Bool = true) async throws -> Reply {
        let response = try await http.execute(HTTPClientRequest(
            method: .PUT, url: sync.process.baseURL + "/v1/crm/companies/\(company)",
            headers: ["X-Internal-Token": stack.internalToken, "Content-Type": "application/json"],
            body: Array(#"{"enabled":\#(enabled),"baseUrl":"\#(baseURL)","accessToken":"\#(token)"}"#.utf8)))
        return Reply(status: response.status.code, body: response.body, headers: response.headers)
    }

    private func api(_ method: HTTPMethod, _ path: String, key: String, body: String? = nil) async throws -> Reply {
        try await gateway(method, path, as: .apiKey(key), body: body)
    }

    /// `path` on the shared stack's gateway, through `GatewayCaller`.
    private func gateway(_ method: HTTPMethod, _ path: String, as credential: Credential, body: String?) async throws -> Reply {
        let reply = try await GatewayCaller(http: http, shared: Self.shared).call(method, path, as: credential,
                                                                                 body: body.map { Array($0.utf8) })
        return Reply(status: reply.status, body: reply.body, headers: reply.headers)
    }

    private func createClient(_ key: String, _ body: String) async throws -> String {
        let reply = try await api(.POST, "/api/v1/clients", key: key, body: body)
        XCTAssertEqual(reply.status, 201, reply.text)
        return try XCTUnwrap(reply.json["id"] as? String ?? (reply.json["data"] as? [String: Any])?["id"] as? String, reply.text)
    }

    func testCreateUpdateAndDeleteReachTheCRMWithTheMappedProperties() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        crm.requireToken("pat-test-token")
        let sync = try await lenientSync("flow", stack: stack)
        let company = try stack.createCompanyWithKey("CRM Flow \(UUID().uuidString.prefix(6))")
        expect(try await configure(sync, stack: stack, company: company.companyId, baseURL: crm.baseURL), 200)

        let id = try await createClient(company.secret, #"{"name":"Ada King Lovelace","phone":"+44 20 7946 0000","status":"active"}"#)
        let created = try await eventuallyValue("the CRM holds the client") { crm.contact(clientId: id) }
        XCTAssertEqual(created.properties["firstname"], "Ada")
        XCTAssertEqual(created.properties["lastname"], "King Lovelace")
        XCTAssertEqual(created.properties["phone"], "+44 20 7946 0000")
        XCTAssertEqual(created.properties["lifecyclestage"], "customer")
        XCTAssertEqual(created.properties["email"], "", "absent fields are sent empty")
        XCTAssertEqual(crm.calls(to: "/batch/upsert").first?.json?["inputs"].map { _ in true }, true)

        expect(try await api(.PATCH, "/api/v1/clients/\(id)", key: company.secret, body: #"{"status":"inactive","phone":null}"#), 200)
        try await eventually("the change reaches the CRM") { crm.contact(clientId: id)?.properties["lifecyclestage"] == "other" }
        XCTAssertEqual(crm.contact(clientId: id)?.properties["phone"], "")

        let upsertsBefore = crm.upserts(clientId: id).count
        expect(try await api(.PATCH, "/api/v1/clients/\(id)", key: company.secret, body: #"{"notes":"not a CRM field"}"#), 200)
        expect(try await api(.DELETE, "/api/v1/clients/\(id)", key: company.secret), 200)
        try await eventually("the hard delete archives the contact") { crm.contact(clientId: id)?.archived == true }
        XCTAssertEqual(crm.upserts(clientId: id).count, upsertsBefore, "a change of an unmapped field sends nothing")
        XCTAssertEqual(crm.calls(to: "/batch/archive").last?.json, ["inputs": [["id": .string(created.recordId)]]])
        try await crm.stop()
    }

    /// A client erased through the admin API is gdpr-deleted from its company's CRM (deleted
    /// before or not), and crm-sync marks the erasure receipt's `crm` step done.
    func testAnErasedClientIsGDPRDeletedAndTheReceiptsCRMStepDone() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        let sync = try await startSync("erase", stack: stack, environment: [
            "CRM_ALLOW_INSECURE": "1", "CRM_ALLOW_PRIVATE_ADDRESSES": "1", "COMMAND_SERVICE_URL": stack.commandService.baseURL,
        ])
        let root = try await login(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let (companyData, token) = try await companyWithAdmin(root: root, label: "erase", suffix: suffix)
        let companyId = try XCTUnwrap(companyData["id"] as? String)
        expect(try await configure(sync, stack: stack, company: companyId, baseURL: crm.baseURL), 200)

        let created = try await admin(.POST, "/api/admin/clients", token: token, body: """
            {"email":"erin-\(suffix)@example.com","displayName":"Erin Erased\(suffix)","status":"active"}
            """)
        XCTAssertEqual(created.status, 200, created.text)
        let adminId = try XCTUnwrap((created.json["data"] as? [String: Any])?["id"] as? String, created.text)
        let erin = try await eventuallyValue("the CRM holds the client") { crm.contact(where: "lastname", is: "Erased\(suffix)") }
        let clientId = try XCTUnwrap(erin.properties[FakeCRM.idProperty])

        let erased = try await admin(.POST, "/api/admin/clients/\(adminId)/erase", token: token)
        XCTAssertEqual(erased.status, 200, erased.text)
        try await eventually("the CRM got the gdpr-delete") { crm.gdprDeleted.contains(clientId.lowercased()) }
        XCTAssertNil(crm.contact(clientId: clientId), "the CRM holds nothing of the client")
        XCTAssertEqual(crm.calls(to: "/gdpr-delete").last?.json, ["objectId": .string(clientId.lowercased()), "idProperty": "clientele_id"])
        try await crmStepIsDone(erasureOf: adminId, token: token)
        sync.process.process.stop()
        try await crm.stop()
    }

    /// Waits until the erasure receipt of client `adminId` shows its `crm` step done (crm-sync
    /// reports it once the CRM acknowledged the gdpr-delete).
    private func crmStepIsDone(erasureOf adminId: String, token: String) async throws {
        try await eventually("crm-sync marked the receipt's crm step") {
            let receipt = try await self.admin(.GET, "/api/admin/clients/\(adminId)/erase", token: token)
            let steps = (receipt.json["data"] as? [String: Any])?["steps"] as? [[String: Any]] ?? []
            return steps.contains { $0["step"] as? String == "crm" && $0["state"] as? String == "done" }
        }
    }

    /// A client erased before crm-sync read it (crm-sync was behind: frozen here) is still
    /// gdpr-deleted by its id once crm-sync catches up; the CRM never held it and answers
    /// 404 OBJECT_NOT_FOUND, which is done: the receipt's `crm` step completes.
    func testAClientErasedBeforeCRMSyncReadItIsStillGDPRDeleted() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        let sync = try await startSync("erase-behind", stack: stack, environment: [
            "CRM_ALLOW_INSECURE": "1", "CRM_ALLOW_PRIVATE_ADDRESSES": "1",
        ])
        let root = try await login(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let (companyData, token) = try await companyWithAdmin(root: root, label: "behind", suffix: suffix)
        let companyId = try XCTUnwrap(companyData["id"] as? String)
        expect(try await configure(sync, stack: stack, company: companyId, baseURL: crm.baseURL), 200)

        sync.process.process.signal(SIGSTOP)
        var frozen = true
        defer { if frozen { sync.process.process.signal(SIGCONT) } }
        let created = try await admin(.POST, "/api/admin/clients", token: token, body: """
            {"email":"bea-\(suffix)@example.com","displayName":"Bea Behind\(suffix)","status":"active"}
            """)
        XCTAssertEqual(created.status, 200, created.text)
        let adminId = try XCTUnwrap((created.json["data"] as? [String: Any])?["id"] as? String, created.text)
        let erased = try await admin(.POST, "/api/admin/clients/\(adminId)/erase", token: token)
        XCTAssertEqual(erased.status, 200, erased.text)
        XCTAssertTrue(crm.calls(to: "/gdpr-delete").isEmpty, "crm-sync is frozen")

        sync.process.process.signal(SIGCONT)
        frozen = false
        try await eventually("the CRM got the gdpr-delete") { !crm.calls(to: "/gdpr-delete").isEmpty }
        XCTAssertEqual(crm.calls(to: "/gdpr-delete").map(\.status), [404], "the CRM never held the client")
        XCTAssertNil(crm.contact(where: "lastname", is: "Behind\(suffix)"), "the CRM never got the client's data")
        try await crmStepIsDone(erasureOf: adminId, token: token)
        sync.process.process.stop()
        try await crm.stop()
    }

    /// The leads, workspace, care and admin APIs write the same clients: their creates, changes
    /// and deletes reach the CRM with the mapped properties as the organization API's do.
    func testWritesThroughEveryAPIReachTheCRM() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        let sync = try await lenientSync("faces", stack: stack)
        let root = try await login(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let (companyData, token) = try await companyWithAdmin(root: root, label: "faces", suffix: suffix)
        let companyId = try XCTUnwrap(companyData["id"] as? String)
        let companyNumber = try XCTUnwrap(companyData["number"] as? Int)
        expect(try await configure(sync, stack: stack, company: companyId, baseURL: crm.baseURL), 200)
        func contact(lastname: String) async throws -> FakeCRM.Contact {
            try await eventuallyValue("the CRM holds \(lastname)") { crm.contact(where: "lastname", is: lastname) }
        }

        // Leads (seed 000): create, change, disable.
        let lead = try await admin(.POST, "/api/clients", token: token, body: """
            {"name":"Lena Leads\(suffix)","email":"lena-\(suffix)@example.com","company":\(companyNumber)}
            """)
        XCTAssertEqual(lead.status, 201, lead.text)
        let leadId = try XCTUnwrap(lead.headers["Location"]?.split(separator: "/").last, lead.text)
        let leadContact = try await contact(lastname: "Leads\(suffix)")
        XCTAssertEqual(leadContact.properties["firstname"], "Lena")
        XCTAssertEqual(leadContact.properties["email"], "lena-\(suffix)@example.com")
        expect(try await admin(.PUT, "/api/clients/\(leadId)", token: token, body: #"{"phone":"+971511111111"}"#), 200)
        try await eventually("the lead's phone reaches the CRM") {
            crm.contact(where: "lastname", is: "Leads\(suffix)")?.properties["phone"] == "+971511111111"
        }
        expect(try await admin(.DELETE, "/api/clients/\(leadId)", token: token), 200)
        try await eventually("the disabled lead reaches the CRM") {
            crm.contact(where: "lastname", is: "Leads\(suffix)")?.properties["lifecyclestage"] == "other"
        }

        // Workspace (seed 003): create, rename, delete (archived).
        let created = try await admin(.POST, "/v1/workspace/\(companyId)/clients", token: token, body: """
            {"name":"Walt Workspace\(suffix)","contactMethods":[{"type":"email","value":"walt-\(suffix)@example.com","isPreferred":true}]}
            """)
        XCTAssertEqual(created.status, 201, created.text)
        let workspaceId = try XCTUnwrap((created.json["client"] as? [String: Any])?["id"] as? String, created.text)
        let walt = try await contact(lastname: "Workspace\(suffix)")
        XCTAssertEqual(walt.properties[FakeCRM.idProperty], workspaceId)
        XCTAssertEqual(walt.properties["email"], "walt-\(suffix)@example.com")
        expect(try await admin(.PATCH, "/v1/workspace/\(companyId)/clients/\(workspaceId)", token: token,
                               body: #"{"name":"Walt Renamed\#(suffix)"}"#), 200)
        try await eventually("the rename reaches the CRM") { crm.contact(clientId: workspaceId)?.properties["lastname"] == "Renamed\(suffix)" }
        expect(try await admin(.DELETE, "/v1/workspace/\(companyId)/clients/\(workspaceId)", token: token), 204)
        try await eventually("the delete archives the contact") { crm.contact(clientId: workspaceId)?.archived == true }

        // Care (seed 004): create, change the phone.
        let care = try await admin(.POST, "/api/clientDetails/create", token: token, body: """
            {"personalInfo":{"firstName":"Cara","lastName":"Care\(suffix)","dateOfBirth":"1990-01-01","phone":"+61400000000"},
             "ndisDetails":{"ndisNumber":"43\(String(format: "%07d", Int.random(in: 0...9_999_999)))"}}
            """)
        XCTAssertEqual(care.status, 201, care.text)
        let careId = try XCTUnwrap((care.json["data"] as? [String: Any])?["id"] as? String, care.text)
        let cara = try await contact(lastname: "Care\(suffix)")
        XCTAssertEqual(cara.properties["firstname"], "Cara")
        XCTAssertEqual(cara.properties["phone"], "+61400000000")
        expect(try await admin(.PUT, "/api/user/clientUpdate/\(careId)", token: token, body: #"{"personalInfo":{"phone":"0400000001"}}"#), 200)
        try await eventually("the care change reaches the CRM") {
            crm.contact(where: "lastname", is: "Care\(suffix)")?.properties["phone"] == "+61400000001"
        }

        // Admin console (seed 002): a hard delete archives the contact.
        let adminClient = try await admin(.POST, "/api/admin/clients", token: token, body: """
            {"email":"ari-\(suffix)@example.com","displayName":"Ari Admin\(suffix)","status":"active"}
            """)
        XCTAssertEqual(adminClient.status, 200, adminClient.text)
        let adminId = try XCTUnwrap(((adminClient.json["data"] as? [String: Any])?["id"]).map { "\($0)" }, adminClient.text)
        let ari = try await contact(lastname: "Admin\(suffix)")
        let clientId = try XCTUnwrap(ari.properties[FakeCRM.idProperty])
        expect(try await admin(.DELETE, "/api/admin/clients/\(adminId)", token: token), 200)
        try await eventually("the hard delete archives the contact") { crm.contact(clientId: clientId)?.archived == true }
        try await crm.stop()
    }

    /// A new company ("CRM <Label> <suffix>") made by `root`, and a session of an admin of it:
    /// the company's `data` as the API answered it, and the admin's token.
    func companyWithAdmin(root: String, label: String, suffix: String) async throws -> (company: [String: Any], token: String) {
        let company = try await admin(.POST, "/api/companies", token: root, body: #"{"name":"CRM \#(label.capitalized) \#(suffix)"}"#)
        XCTAssertEqual(company.status, 201, company.text)
        let data = try XCTUnwrap(company.json["data"] as? [String: Any])
        let companyId = try XCTUnwrap(data["id"] as? String)
        let email = "crm-\(label)-\(suffix)@crm.test"
        let user = try await admin(.POST, "/api/users", token: root, body: """
            {"email":"\(email)","name":"\(label.capitalized) Admin","password":"a shared test password","roles":["admin"],"companies":["\(companyId)"]}
            """)
        XCTAssertEqual(user.status, 201, user.text)
        return (data, try await login(email, "a shared test password"))
    }

    func testRapidUpdatesOfOneClientEndWithTheLastVersionNeverAnOlderAfterANewer() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        crm.setLatency(.milliseconds(20))
        let sync = try await lenientSync("rapid", stack: stack)
        let company = try stack.createCompanyWithKey("CRM Rapid \(UUID().uuidString.prefix(6))")
        expect(try await configure(sync, stack: stack, company: company.companyId, baseURL: crm.baseURL), 200)
        let id = try await createClient(company.secret, #"{"name":"Grace v0"}"#)
        let updates = 200
        // A slow CRM while the updates arrive, so versions wait behind each call: with 20 ms a
        // call, a CI host slow enough to take 20 ms a PATCH gave the sync time for every one.
        crm.setLatency(.milliseconds(500))
        for version in 1...updates {
            let reply = try await api(.PATCH, "/api/v1/clients/\(id)", key: company.secret, body: #"{"name":"Grace v\#(version)"}"#)
            XCTAssertEqual(reply.status, 200, reply.text)
        }
        crm.setLatency(.milliseconds(20))
        try await eventually("the CRM holds the last version") { crm.contact(clientId: id)?.properties["lastname"] == "v\(updates)" }
        let sent = crm.upserts(clientId: id).compactMap { $0["lastname"].flatMap { Int($0.dropFirst()) } }
        XCTAssertEqual(sent, sent.sorted(), "never an older version after a newer one")
        XCTAssertLessThan(sent.count, updates, "waiting versions were coalesced")
        try await crm.stop()
    }

    func testA429StormIsHonouredThenTheChangeArrives() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        crm.inject(.rateLimited(retryAfterSeconds: 1), count: 3)
        let sync = try await lenientSync("storm", stack: stack)
        let company = try stack.createCompanyWithKey("CRM Storm \(UUID().uuidString.prefix(6))")
        expect(try await configure(sync, stack: stack, company: company.companyId, baseURL: crm.baseURL), 200)
        let id = try await createClient(company.secret, #"{"name":"Storm Client"}"#)
        try await eventually("the change arrives after the storm") { crm.contact(clientId: id) != nil }
        let calls = crm.calls(to: "/batch/upsert")
        XCTAssertEqual(calls.map(\.status), [429, 429, 429, 200])
        for (earlier, later) in zip(calls, calls.dropFirst()) {
            // Retry-After: 1 s; a correctness bound (the sync waited), not a timing claim.
            XCTAssertGreaterThanOrEqual(later.receivedAt - earlier.receivedAt, .milliseconds(950))
        }
        try await crm.stop()
    }

    func testARejectedChangeIsDeadLetteredItsClientWaitsAndARetrySendsTheLatest() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        let sync = try await lenientSync("dead", stack: stack)
        let company = try stack.createCompanyWithKey("CRM Dead \(UUID().uuidString.prefix(6))")
        expect(try await configure(sync, stack: stack, company: company.companyId, baseURL: crm.baseURL), 200)
        crm.inject(.rejected(status: 400))
        let stuck = try await createClient(company.secret, #"{"name":"Stuck One"}"#)
        let internalHeaders: HTTPHeaders = ["X-Internal-Token": stack.internalToken]
        let letters = try await eventuallyValue("the change is dead-lettered") { () async throws -> [[String: Any]]? in
            let reply = try await self.call(.GET, sync.process.baseURL + "/v1/crm/dead-letters?tenantId=\(company.companyId)", headers: internalHeaders)
            let letters = reply.json["deadLetters"] as? [[String: Any]] ?? []
            return letters.isEmpty ? nil : letters
        }
        XCTAssertEqual(letters.first?["clientId"] as? String, stuck)
        XCTAssertEqual(letters.first?["attempts"] as? Int, 1, "a 400 is not retried")
        XCTAssertTrue((letters.first?["reason"] as? String ?? "").hasPrefix("HTTP 400: "), "\(letters)")

        // Its later change waits behind it; another client goes on.
        expect(try await api(.PATCH, "/api/v1/clients/\(stuck)", key: company.secret, body: #"{"name":"Stuck Two"}"#), 200)
        let other = try await createClient(company.secret, #"{"name":"Other Client"}"#)
        try await eventually("the other client is synced") { crm.contact(clientId: other) != nil }
        XCTAssertNil(crm.contact(clientId: stuck))

        let operator_ = ["CRM_SYNC_URL": sync.process.baseURL, "INTERNAL_TOKEN": stack.internalToken]
        let listed = try stack.clientctl(["crm", "dead-letters", "--company", company.companyId], environment: operator_)
        XCTAssertTrue(listed.contains(stuck) && listed.contains("HTTP 400"), listed)
        let status = try stack.clientctl(["crm", "status"], environment: operator_)
        XCTAssertTrue(status.contains(company.companyId), status)
        let retried = try stack.clientctl(["crm", "retry", "--client", stuck], environment: operator_)
        XCTAssertEqual(retried, "1 dead letters released\n")
        try await eventually("the retry sends the latest version") { crm.contact(clientId: stuck)?.properties["lastname"] == "Two" }
        XCTAssertEqual(crm.upserts(clientId: stuck).map { $0["lastname"] }, ["Two"], "the dead version is not sent after it")
        try await crm.stop()
    }

    /// A batch the CRM takes in part (207): the accepted clients are synced, the refused one is
    /// sent alone and then dead-lettered with the CRM's answer, and the others are not sent again.
    func testAPartlyAcceptedBatchSyncsTheAcceptedAndDeadLettersTheRefused() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        crm.refuse(property: "lastname", value: "Refused")
        let sync = try await lenientSync("partial", stack: stack)
        let company = try stack.createCompanyWithKey("CRM Partial \(UUID().uuidString.prefix(6))")
        expect(try await configure(sync, stack: stack, company: company.companyId, baseURL: crm.baseURL), 200)
        // The first call is held, so the next three clients wait for it together and go in one batch.
        crm.setLatency(.milliseconds(700))
        let first = try await createClient(company.secret, #"{"name":"Warm Up"}"#)
        let good = try await createClient(company.secret, #"{"name":"Ada Good"}"#)
        let refused = try await createClient(company.secret, #"{"name":"Bad Refused"}"#)
        let other = try await createClient(company.secret, #"{"name":"Cy Good"}"#)
        try await eventually("the accepted clients are synced") {
            [first, good, other].allSatisfy { crm.contact(clientId: $0) != nil }
        }
        let letters = try await eventuallyValue("the refused client is dead-lettered") { () async throws -> [[String: Any]]? in
            let reply = try await self.call(.GET, sync.process.baseURL + "/v1/crm/dead-letters?tenantId=\(company.companyId)",
                                            headers: ["X-Internal-Token": stack.internalToken])
            let letters = reply.json["deadLetters"] as? [[String: Any]] ?? []
            return letters.isEmpty ? nil : letters
        }
        XCTAssertEqual(letters.map { $0["clientId"] as? String }, [refused])
        XCTAssertTrue((letters.first?["reason"] as? String ?? "").hasPrefix("HTTP 207: "), "\(letters)")
        XCTAssertNil(crm.contact(clientId: refused))
        let partial = crm.calls(to: "/batch/upsert").filter { $0.status == 207 }
        XCTAssertTrue(partial.contains { call in
            guard case .array(let inputs)? = call.json?["inputs"] else { return false }
            return inputs.count > 1
        }, "a batch of several clients was answered 207")
        XCTAssertEqual(crm.upserts(clientId: good).count, 1, "an accepted client is not sent again")
        XCTAssertEqual(crm.upserts(clientId: other).count, 1, "an accepted client is not sent again")
        try await crm.stop()
    }

    func testAddressesThatAreNotAllowedAreRefusedWhenSavedAndAtEveryCall() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        let strict = try await startSync("strict", stack: stack)
        let company = try stack.createCompanyWithKey("CRM SSRF \(UUID().uuidString.prefix(6))")
        for (url, message) in [(crm.baseURL, "baseUrl must use https"),
                               ("https://127.0.0.1:9", "loopback"), ("https://localhost", "loopback"),
                               ("https://169.254.169.254/latest", "loopback"), ("https://10.1.2.3", "loopback"),
                               ("https://[::1]:8443", "loopback"), ("https://[::ffff:127.0.0.1]", "loopback"),
                               ("https://user:pw@example.com", "without user info")] {
            let reply = try await configure(strict, stack: stack, company: company.companyId, baseURL: url)
            XCTAssertEqual(reply.status, 400, "\(url): \(reply.text)")
            XCTAssertTrue(reply.text.contains(message), "\(url): \(reply.text)")
            XCTAssertFalse(reply.text.contains("127.0.0.1") || reply.text.contains("169.254"), "the answer does not echo addresses")
        }

        // A configuration that was allowed when saved but points at a private address now (the
        // row written as a rebinding would leave it) is refused at the call: nothing reaches it.
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: strict.database, poolSize: 1))
        defer { Task { await pool.close() } }
        let lenientKey = try await lenientSync("sealer", stack: stack)
        expect(try await configure(lenientKey, stack: stack, company: company.companyId, baseURL: crm.baseURL, enabled: false), 200)
        let lenientPool = PostgresPool(configuration: PostgresConfiguration(connectionString: lenientKey.database, poolSize: 1))
        let sealed = try await lenientPool.query("SELECT token_sealed FROM crm_companies WHERE tenant_id = $1::uuid", [company.companyId])
        let token: [UInt8] = try sealed[0].decode(0)
        await lenientPool.close()
        lenientKey.process.process.stop()
        try await pool.execute("INSERT INTO crm_companies (tenant_id, enabled, base_url, token_sealed) VALUES ($1::uuid, true, $2, $3)",
                               [company.companyId, "https://127.0.0.1:\(crm.baseURL.split(separator: ":").last!)", token])
        // Restarted, it reads the row as it would read one saved before the name moved.
        strict.process.process.stop()
        let restarted = try await startSync("strict", stack: stack, database: strict.database)
        defer { restarted.process.process.stop() }
        let id = try await createClient(company.secret, #"{"name":"Never Sent"}"#)
        let error = try await eventuallyValue("the call is refused") { () async throws -> String? in
            let rows = try await pool.query("SELECT last_error FROM crm_contacts WHERE id = $1::uuid", [id])
            return rows.isEmpty ? nil : try rows[0].decodeIfPresent(0, as: String.self)
        }
        XCTAssertTrue(error.contains("loopback"), error)
        XCTAssertEqual(crm.calls.count, 0, "no call reached the address")
        try await crm.stop()
    }

    /// An https CRM: reached through TLS when its certificate chains to a trusted authority and
    /// names the saved host; otherwise nothing is sent and the client's sync names the cause.
    func testAnHttpsCRMIsReachedOnlyWhenItsCertificateIsTrusted() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        crm.requireToken("pat-test-token")
        let certificates = try TestCertificates.make()
        let terminator = try TLSTerminator(certificates: certificates, backendPort: try XCTUnwrap(Int(crm.baseURL.split(separator: ":").last!)))
        defer { terminator.stop() }
        let baseURL = "https://localhost:\(terminator.port)"
        // https only (no CRM_ALLOW_INSECURE); loopback allowed because the fake CRM is local.
        let trusting = try await startSync("tls", stack: stack, environment: [
            "CRM_ALLOW_PRIVATE_ADDRESSES": "1", "CRM_TLS_CA_FILE": certificates.authorityFile,
        ])
        defer { trusting.process.process.stop() }
        let company = try stack.createCompanyWithKey("CRM TLS \(UUID().uuidString.prefix(6))")
        expect(try await configure(trusting, stack: stack, company: company.companyId, baseURL: baseURL), 200)
        let id = try await createClient(company.secret, #"{"name":"Grace Hopper","status":"active"}"#)
        let contact = try await eventuallyValue("the CRM holds the client, over TLS") { crm.contact(clientId: id) }
        XCTAssertEqual(contact.properties["lastname"], "Hopper")
        XCTAssertGreaterThanOrEqual(terminator.handshakes.load(ordering: .relaxed), 1)

        // The same CRM for a sync trusting only the system's authorities: refused at the
        // handshake, before the token or any client's data is sent.
        let callsBefore = crm.calls.count
        let untrusting = try await startSync("tls_untrusted", stack: stack, environment: ["CRM_ALLOW_PRIVATE_ADDRESSES": "1"])
        defer { untrusting.process.process.stop() }
        let other = try stack.createCompanyWithKey("CRM TLS untrusted \(UUID().uuidString.prefix(6))")
        expect(try await configure(untrusting, stack: stack, company: other.companyId, baseURL: baseURL), 200)
        let refusedId = try await createClient(other.secret, #"{"name":"Never Sent"}"#)
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: untrusting.database, poolSize: 1))
        let error = try await eventuallyValue("the call is refused at the handshake") { () async throws -> String? in
            let rows = try await pool.query("SELECT last_error FROM crm_contacts WHERE id = $1::uuid", [refusedId])
            return rows.isEmpty ? nil : try rows[0].decodeIfPresent(0, as: String.self)
        }
        await pool.close()
        XCTAssertTrue(error.contains("TLS") && error.contains("certificate"), error)
        XCTAssertNil(crm.contact(clientId: refusedId))
        XCTAssertEqual(crm.calls.count, callsBefore, "nothing reached the CRM through an untrusted connection")
        try await crm.stop()
    }

    func testTheAccessTokenIsInNoLogLineAndNeverAnsweredBack() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        let secretToken = "pat-na1-\(UUID().uuidString)"
        crm.requireToken(secretToken)
        let sync = try await startSync("token", stack: stack, environment: ["CRM_ALLOW_INSECURE": "1", "CRM_ALLOW_PRIVATE_ADDRESSES": "1",
                                                                             "LOG_LEVEL": "debug"])
        let company = try stack.createCompanyWithKey("CRM Token \(UUID().uuidString.prefix(6))")
        let saved = try await configure(sync, stack: stack, company: company.companyId, baseURL: crm.baseURL, token: secretToken)
        XCTAssertEqual(saved.status, 200)
        XCTAssertEqual(saved.json["hasAccessToken"] as? Bool, true)
        XCTAssertFalse(saved.text.contains(secretToken))
        let read = try await call(.GET, sync.process.baseURL + "/v1/crm/companies/\(company.companyId)",
                                  headers: ["X-Internal-Token": stack.internalToken])
        XCTAssertFalse(read.text.contains(secretToken))
        crm.inject(.serverError)
        crm.inject(.timeout(.seconds(3)))
        let id = try await createClient(company.secret, #"{"name":"Token Check"}"#)
        try await eventually("the client is synced with the token") { crm.contact(clientId: id) != nil }
        XCTAssertEqual(crm.calls.last?.headers["Authorization"], "Bearer \(secretToken)")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: sync.database, poolSize: 1))
        let stored = try await pool.query("SELECT token_sealed FROM crm_companies")
        let bytes: [UInt8] = try stored[0].decode(0)
        XCTAssertNil(bytes.firstRange(of: Array(secretToken.utf8)), "stored sealed")
        await pool.close()
        for file in try FileManager.default.subpathsOfDirectory(atPath: stack.logDirectory.path) {
            let text = (try? String(contentsOfFile: stack.logDirectory.appendingPathComponent(file).path, encoding: .utf8)) ?? ""
            XCTAssertFalse(text.contains(secretToken), "the token is in \(file)")
        }
        let warnings = sync.process.logLines().filter { $0["msg"] == "CRM call failed" }
        XCTAssertGreaterThanOrEqual(warnings.count, 2, "the failures were logged (without the token)")
        try await crm.stop()
    }

    // MARK: The admin route

    private func login(_ email: String, _ password: String) async throws -> String {
        try await GatewayCaller(http: http, shared: Self.shared).login(email: email, password: password)
    }

    private func admin(_ method: HTTPMethod, _ path: String, token: String, body: String? = nil) async throws -> Reply {
        try await gateway(method, path, as: .session(token), body: body)
    }

    func testCompanyAdminsConfigureCRMSyncThroughTheGatewayAndTheTokenIsNeverAnswered() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        let secretToken = "pat-eu1-\(UUID().uuidString)"
        crm.requireToken(secretToken)
        _ = try await startSync("gateway", stack: stack, environment: [
            "HTTP_PORT": String(Self.gatewayFacingPort), "CRM_ALLOW_INSECURE": "1", "CRM_ALLOW_PRIVATE_ADDRESSES": "1",
        ])
        let root = try await login(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        var companies: [String] = []
        for name in ["CRM Gate A", "CRM Gate B"] {
            let reply = try await admin(.POST, "/api/companies", token: root, body: #"{"name":"\#(name) \#(suffix)"}"#)
            XCTAssertEqual(reply.status, 201, reply.text)
            companies.append(try XCTUnwrap((reply.json["data"] as? [String: Any])?["id"] as? String))
        }
        var admins: [String] = []
        for (index, company) in companies.enumerated() {
            let email = "crm-admin-\(index)-\(suffix)@crm.test"
            let reply = try await admin(.POST, "/api/users", token: root, body: """
                {"email":"\(email)","name":"CRM Admin","password":"a shared test password","roles":["admin"],"companies":["\(company)"]}
                """)
            XCTAssertEqual(reply.status, 201, reply.text)
            admins.append(try await login(email, "a shared test password"))
        }

        let unset = try await admin(.GET, "/api/admin/crm", token: admins[0])
        XCTAssertEqual(unset.status, 200, unset.text)
        XCTAssertEqual(try JSONParser.parse(unset.body)["data"], ["enabled": false, "baseUrl": nil, "hasAccessToken": false])
        let saved = try await admin(.PUT, "/api/admin/crm", token: admins[0],
                                    body: #"{"enabled":true,"baseUrl":"\#(crm.baseURL)","accessToken":"\#(secretToken)"}"#)
        XCTAssertEqual(saved.status, 200, saved.text)
        XCTAssertEqual(try JSONParser.parse(saved.body)["data"], ["enabled": true, "baseUrl": .string(crm.baseURL), "hasAccessToken": true])
        let read = try await admin(.GET, "/api/admin/crm", token: admins[0])
        for text in [saved.text, read.text] { XCTAssertFalse(text.contains(secretToken), "the token is never answered") }

        let refused = try await admin(.PUT, "/api/admin/crm", token: admins[0],
                                      body: #"{"enabled":true,"baseUrl":"https://0.0.0.0/","accessToken":"x"}"#)
        XCTAssertEqual(refused.status, 400, "an unspecified address is refused even with private ones allowed: \(refused.text)")
        let otherCompany = try await admin(.GET, "/api/admin/crm?companyId=\(companies[0])", token: admins[1])
        XCTAssertEqual(otherCompany.status, 403, otherCompany.text)
        let withoutCompany = try await admin(.GET, "/api/admin/crm", token: root)
        XCTAssertEqual(withoutCompany.status, 400, "a super-admin names the company: \(withoutCompany.text)")

        // The company's clients now reach its CRM with the token given.
        let created = try await admin(.POST, "/api/admin/clients", token: admins[0], body: """
            {"email":"mary.jackson-\(suffix)@example.com","displayName":"Mary Jackson","company":"Langley","jobTitle":"Engineer",
             "industry":"Aerospace","website":"https://langley.example","location":"Hampton, United States","status":"trial"}
            """)
        XCTAssertEqual(created.status, 200, created.text)
        let contact = try await eventuallyValue("the admin API's client reaches the CRM") {
            crm.calls(to: "/batch/upsert").isEmpty ? nil : crm.calls(to: "/batch/upsert").first?.json?["inputs"]
        }
        guard case .array(let inputs) = contact, case .object(let properties)? = inputs.first?["properties"] else {
            return XCTFail("\(contact)")
        }
        XCTAssertEqual(properties["email"], .string("mary.jackson-\(suffix)@example.com"))
        XCTAssertEqual(properties["firstname"], "Mary")
        XCTAssertEqual(properties["lastname"], "Jackson")
        XCTAssertEqual(properties["company"], "Langley")
        XCTAssertEqual(properties["jobtitle"], "Engineer")
        XCTAssertEqual(properties["industry"], "Aerospace")
        XCTAssertEqual(properties["website"], "https://langley.example")
        XCTAssertEqual(properties["city"], "Hampton")
        XCTAssertEqual(properties["country"], "United States")
        XCTAssertEqual(properties["lifecyclestage"], "opportunity")

        // The admin client view shows the client's sync.
        let publicId = try XCTUnwrap((created.json["data"] as? [String: Any])?["id"] as? String, created.text)
        let sync = try await eventuallyValue("the view shows the client synced") { () async throws -> JSONValue? in
            let view = try await self.admin(.GET, "/api/admin/clients/\(publicId)", token: admins[0])
            let state = try JSONParser.parse(view.body)["data"]?["crmSync"]
            return state?["state"] == "synced" ? state : nil
        }
        XCTAssertEqual(sync["lastSyncedVersion"], 1)
        XCTAssertEqual(sync["lastError"], .null)
        XCTAssertNotEqual(sync["syncedAt"], .null)
        try await crm.stop()
    }

    // MARK: Backfill and crashes

    func testEnablingSyncBackfillsTheCompanysExistingClients() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        let sync = try await lenientSync("backfill", stack: stack)
        let company = try stack.createCompanyWithKey("CRM Backfill \(UUID().uuidString.prefix(6))")
        var ids: [String] = []
        for index in 0..<30 { ids.append(try await createClient(company.secret, #"{"name":"Early \#(index)"}"#)) }
        let deleted = ids.removeLast()
        expect(try await api(.DELETE, "/api/v1/clients/\(deleted)", key: company.secret), 200)
        expect(try await configure(sync, stack: stack, company: company.companyId, baseURL: crm.baseURL, enabled: false), 200)
        XCTAssertEqual(crm.calls.count, 0, "nothing is sent while sync is disabled")
        expect(try await configure(sync, stack: stack, company: company.companyId, baseURL: crm.baseURL), 200)
        try await eventually("every existing client reaches the CRM") { ids.allSatisfy { crm.contact(clientId: $0) != nil } }
        XCTAssertNil(crm.contact(clientId: deleted), "a client deleted before the CRM had it is not sent at all")
        XCTAssertEqual(crm.calls(to: "/batch/archive").count, 0)
        XCTAssertEqual(crm.calls(to: "/batch/upsert").count, 1, "29 clients, one batch")
        try await crm.stop()
    }

    func testAKill9MidBatchLosesNoChangeAndItsDuplicatesAreHarmless() async throws {
        let stack = try await Self.shared.stack()
        let crm = try await FakeCRM.start()
        crm.setLatency(.milliseconds(150))
        let environment = ["CRM_ALLOW_INSECURE": "1", "CRM_ALLOW_PRIVATE_ADDRESSES": "1"]
        let first = try await startSync("kill", stack: stack, environment: environment)
        let company = try stack.createCompanyWithKey("CRM Kill \(UUID().uuidString.prefix(6))")
        expect(try await configure(first, stack: stack, company: company.companyId, baseURL: crm.baseURL), 200)
        var expected: [String: String] = [:]
        for index in 0..<40 {
            let id = try await createClient(company.secret, #"{"name":"Crash \#(index)"}"#)
            expected[id] = "\(index)"
            if index % 3 == 0 {
                expect(try await api(.PATCH, "/api/v1/clients/\(id)", key: company.secret, body: #"{"name":"Crash \#(index)b"}"#), 200)
                expected[id] = "\(index)b"
            }
        }
        // Killed while a call is in flight (the fake answers after 150 ms).
        try await eventually("a call is in flight") { !crm.calls.isEmpty || crm.liveContactCount > 0 }
        first.process.process.signal(SIGKILL)
        _ = first.process.process.waitForExit()
        let second = try await startSync("kill", stack: stack, environment: environment, database: first.database)
        try await eventually("every client reaches the CRM at its last version", timeout: .seconds(60)) {
            expected.allSatisfy { id, lastName in crm.contact(clientId: id)?.properties["lastname"] == lastName }
        }
        for (id, lastName) in expected {
            let sent = crm.upserts(clientId: id).compactMap { $0["lastname"] }
            XCTAssertEqual(sent.last, lastName)
            XCTAssertEqual(sent.firstIndex(of: lastName).map { sent[$0...].allSatisfy { $0 == lastName } }, true,
                           "after the last version only its duplicates: \(sent)")
        }
        XCTAssertEqual(crm.liveContactCount, expected.count, "duplicates created no second contact")
        // A stop request ends its waits at once: it exits by itself within the 5 s given (its
        // longest wait is 30 s), not killed.
        second.process.process.stop(timeout: 5)
        XCTAssertEqual(second.process.process.waitForExit(), 0, "exited gracefully\n\(second.process.process.logTail())")
        try await crm.stop()
    }
}
