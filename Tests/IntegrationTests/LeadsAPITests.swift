import Foundation
import HTTP
import Identity
import TestSupport
import XCTest

/// The leads API (`/api/clients`) through the real gateway and services: the document's
/// authorization matrix as one table, its examples as written, company scoping, paging,
/// the same clients through the organization API, and session tokens on these routes.
final class LeadsAPITests: XCTestCase {
    static let adminEmail = "root@leads.test"
    static let adminPassword = "leads-bootstrap-\(UUID().uuidString)"
    private static let shared = SharedStack("leadsapi", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword,
    ])

    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    // MARK: Calls

    private var gateway: GatewayCaller {
        get async throws { try await GatewayCaller(http: http, shared: Self.shared) }
    }

    /// Two companies and a user of every role, fresh for each test.
    struct World {
        struct Company { var id: String; var number: Int }
        struct Person { var id: String; var number: Int; var name: String; var token: String }
        var root: String
        var a: Company
        var b: Company
        var admin: Person, sales: Person, finance: Person, agent: Person, otherAgent: Person, adminB: Person
    }

    private func world() async throws -> World {
        let root = try await gateway.login(email: Self.adminEmail, password: Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        func company(_ name: String) async throws -> World.Company {
            let reply = try await gateway.call(.POST, "/api/companies", as: .session(root), json: ["name": .string("\(name) \(suffix)")])
            XCTAssertEqual(reply.status, 201, reply.text)
            let data = try XCTUnwrap(reply.json["data"])
            return World.Company(id: try XCTUnwrap(data.string("id")), number: Int(try XCTUnwrap(data.int("number"))))
        }
        let a = try await company("Acme Properties")
        let b = try await company("Bluth Homes")
        let password = "a shared test password"
        func person(_ name: String, _ role: String, _ company: World.Company) async throws -> World.Person {
            let email = "\(name.lowercased().replacingOccurrences(of: " ", with: "."))-\(suffix)@leads.test"
            let reply = try await gateway.call(.POST, "/api/users", as: .session(root), json: [
                "email": .string(email), "name": .string(name), "password": .string(password), "roles": [.string(role)],
                "companies": [.string(company.id)],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            let data = try XCTUnwrap(reply.json["data"])
            return World.Person(id: try XCTUnwrap(data.string("id")), number: Int(try XCTUnwrap(data.int("number"))), name: name,
                                token: try await gateway.login(email: email, password: password))
        }
        return World(root: root, a: a, b: b,
                     admin: try await person("Ada Admin", "admin", a), sales: try await person("Sal Sales", "sales", a),
                     finance: try await person("Fin Finance", "finance", a), agent: try await person("Ahmed Ali", "agent", a),
                     otherAgent: try await person("Oto Agent", "agent", a), adminB: try await person("Bea Admin", "admin", b))
    }

    /// Creates a lead as `token` and returns its id (from `Location`).
    private func createLead(_ token: String, company: Int, name: String = "Lead", email: String? = nil,
                            agents: [JSONValue] = [], isActive: Bool = true,
                            file: StaticString = #filePath, line: UInt = #line) async throws -> Int {
        let reply = try await gateway.call(.POST, "/api/clients", as: .session(token), json: [
            "name": .string(name), "email": .string(email ?? "\(UUID().uuidString.prefix(12).lowercased())@example.com"),
            "company": .int(Int64(company)), "agents": .array(agents), "isActive": .bool(isActive),
        ])
        XCTAssertEqual(reply.status, 201, reply.text, file: file, line: line)
        XCTAssertEqual(reply.json.string("message"), "LeadClient created successfully", file: file, line: line)
        let location = try XCTUnwrap(reply.headers["Location"], file: file, line: line)
        return try XCTUnwrap(Int(location.split(separator: "/").last ?? ""), file: file, line: line)
    }

    private func lead(_ id: Int, as token: String) async throws -> JSONValue {
        let reply = try await gateway.call(.GET, "/api/clients/\(id)", as: .session(token))
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.json["leads"])
    }

    // MARK: The authorization matrix

    /// Every route, every role, own and other company, and no session: the expected status.
    func testAuthorizationMatrix() async throws {
        let w = try await world()
        let assigned: [JSONValue] = [["agentId": .int(Int64(w.agent.number)), "agentName": .string(w.agent.name)]]
        let leadId = try await createLead(w.admin.token, company: w.a.number, agents: assigned)
        let otherLead = try await createLead(w.adminB.token, company: w.b.number)

        enum Caller: CaseIterable { case anonymous, superAdmin, admin, sales, finance, agent, unassignedAgent, otherCompanyAdmin }
        func credential(_ caller: Caller) -> Credential? {
            switch caller {
            case .anonymous: nil
            case .superAdmin: .session(w.root)
            case .admin: .sessionCookie(w.admin.token)
            case .sales: .session(w.sales.token)
            case .finance: .sessionCookie(w.finance.token)
            case .agent: .session(w.agent.token)
            case .unassignedAgent: .sessionCookie(w.otherAgent.token)
            case .otherCompanyAdmin: .session(w.adminB.token)
            }
        }
        func newLead() -> JSONValue {
            ["name": "Matrix Lead", "email": .string("\(UUID().uuidString.prefix(12).lowercased())@example.com"),
             "company": .int(Int64(w.a.number))]
        }
        // Status per caller, in `Caller.allCases` order.
        let rows: [(String, HTTPMethod, String, (() -> JSONValue)?, [Int])] = [
            ("list", .GET, "/api/clients", nil, [401, 200, 200, 200, 200, 403, 403, 200]),
            ("list one company", .GET, "/api/clients?company=\(w.a.number)", nil, [401, 200, 200, 200, 200, 403, 403, 403]),
            ("get by id", .GET, "/api/clients/\(leadId)", nil, [401, 200, 200, 200, 200, 200, 403, 404]),
            ("get another company's lead", .GET, "/api/clients/\(otherLead)", nil, [401, 200, 404, 404, 404, 404, 404, 200]),
            ("agent's clients", .GET, "/api/clients/userClients/\(w.agent.number)", nil, [401, 200, 200, 200, 200, 403, 403, 200]),
            ("create", .POST, "/api/clients", newLead, [401, 201, 201, 201, 201, 403, 403, 403]),
            ("update", .PUT, "/api/clients/\(leadId)", { ["phone": "+971511111111"] }, [401, 200, 200, 200, 200, 403, 403, 404]),
            ("change password", .POST, "/api/clients/\(leadId)/change-password", { ["password": "NewStrongPassword!"] },
             [401, 200, 200, 200, 200, 403, 403, 404]),
            // No multipart body: refused once authorized (uploads are DocumentsAPITests').
            ("passport upload", .POST, "/api/clients/passport/\(leadId)", nil, [401, 400, 400, 400, 400, 403, 403, 404]),
            ("disable", .DELETE, "/api/clients/\(leadId)", nil, [401, 200, 200, 200, 200, 403, 403, 404]),
        ]
        for (name, method, path, body, expected) in rows {
            for (caller, status) in zip(Caller.allCases, expected) {
                let reply = try await gateway.call(method, path, as: credential(caller), body: body?().serialized())
                XCTAssertEqual(reply.status, status, "\(name) as \(caller): \(reply.text)")
                if status >= 400 {
                    XCTAssertNotNil(reply.json.string("message"), "\(name) as \(caller): errors are {message}: \(reply.text)")
                }
            }
        }
        // The 403 for a company the caller may not use is the document's message.
        let invalid = try await gateway.call(.GET, "/api/clients?company=\(w.a.number)", as: .session(w.adminB.token))
        XCTAssertEqual(invalid.json.string("message"), "Invalid company ID")
        let createElsewhere = try await gateway.call(.POST, "/api/clients", as: .session(w.adminB.token), json: newLead())
        XCTAssertEqual(createElsewhere.json.string("message"), "Invalid company ID")
        // Nothing the refused callers sent changed the lead.
        let after = try await lead(leadId, as: w.admin.token)
        XCTAssertEqual(after.string("phone"), "+971511111111")
        XCTAssertEqual(after.bool("isActive"), false)
    }

    // MARK: The document's examples, as written

    static let curlExamples = """
    curl -X GET "https://your.api/api/clients?query=jane&category=active&page=1" \\
    -H "Cookie: token=..."
    curl -X GET "https://your.api/api/clients/123" -H "Cookie: token=..."
    curl -X GET "https://your.api/api/clients/userClients/42?page=1" \\
    -H "Cookie: token=..."
    curl -X POST "https://your.api/api/clients" \\
    -H "Content-Type: application/json" \\
    -H "Cookie: token=..." \\
    -d '{
    "name": "Jane Doe",
    "email": "jane@example.com",
    "phone": "+971500000000",
    "address": "Dubai, UAE",
    "company": 7,
    "agents": [{"agentId":42,"agentName":"Ahmed Ali"}],
    "isActive": true
    }'
    curl -X PUT "https://your.api/api/clients/123" \\
    -H "Content-Type: application/json" -H "Cookie: token=..." \\
    -d '{"phone":"+971511111111","agents":[{"agentId":42,"agentName":"Ahmed Ali"}]}'
    curl -X DELETE "https://your.api/api/clients/123" -H "Cookie: token=..."
    curl -X POST "https://your.api/api/clients/123/change-password" \\
    -H "Content-Type: application/json" -H "Cookie: token=..." \\
    -d '{"password":"NewStrongPassword!"}'
    curl -X POST "https://your.api/api/clients/passport/123" \\
    -H "Cookie: token=..." \\
    -F "passport=@/path/to/passport.pdf"
    """

    /// Each cURL example run by the shell as written, with the gateway, a session, and the
    /// ids of this test's company, agent and lead swapped in; the create runs first so the
    /// later examples have its lead.
    func testCurlExamplesAsWritten() async throws {
        let w = try await world()
        let stack = try await Self.shared.stack()
        let passport = FileManager.default.temporaryDirectory.appendingPathComponent("passport-\(UUID()).pdf")
        try Data("%PDF-1.4 test".utf8).write(to: passport)
        defer { try? FileManager.default.removeItem(at: passport) }
        var commands = Self.curlExamples.replacingOccurrences(of: "\\\n", with: " ")
            .replacingOccurrences(of: "-d '{\n", with: "-d '{").replacingOccurrences(of: ",\n", with: ",")
            .replacingOccurrences(of: "\n}'", with: "}'")
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(commands.count, 8)
        commands.insert(commands.remove(at: 3), at: 0)

        var leadId = 0
        func run(_ command: String) throws -> (Int, JSONValue) {
            let line = command.replacingOccurrences(of: "https://your.api", with: stack.gateway.baseURL)
                .replacingOccurrences(of: "token=...", with: "token=\(w.sales.token)")
                .replacingOccurrences(of: "\"company\": 7", with: "\"company\": \(w.a.number)")
                .replacingOccurrences(of: "agentId\":42", with: "agentId\":\(w.agent.number)")
                .replacingOccurrences(of: "userClients/42", with: "userClients/\(w.agent.number)")
                .replacingOccurrences(of: "/123", with: "/\(leadId)")
                .replacingOccurrences(of: "/path/to/passport.pdf", with: passport.path)
                + " -s -w '\\n%{http_code}'"
            let result = try ExternalProgram.run("bash", ["-c", line])
            XCTAssertEqual(result.status, 0, "\(line): \(result.standardError)")
            let parts = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
            let body = parts.dropLast().joined(separator: "\n")
            return (Int(parts.last ?? "") ?? 0, (try? JSONParser.parse(Array(body.utf8))) ?? ["raw": .string(body)])
        }

        // POST: 201 and the document's message.
        let (createStatus, created) = try run(commands[0])
        XCTAssertEqual(createStatus, 201, "\(created)")
        XCTAssertEqual(created.string("message"), "LeadClient created successfully")
        let list = try await gateway.call(.GET, "/api/clients?query=jane@example.com&company=\(w.a.number)", as: .session(w.sales.token))
        let jane = try XCTUnwrap((list.json["leads"]?.arrayValue)?.first)
        leadId = Int(try XCTUnwrap(jane.int("id")))
        XCTAssertEqual(jane.string("name"), "Jane Doe")
        XCTAssertEqual(jane.string("address"), "Dubai, UAE")
        XCTAssertTrue((jane.string("company") ?? "").hasPrefix("Acme Properties"))
        XCTAssertEqual(jane.int("createdBy"), Int64(w.sales.number))
        XCTAssertEqual(jane.bool("hasJoined"), false)
        let agents = jane.array("agents")
        XCTAssertEqual(agents.map { $0.int("agentId") }, [Int64(w.agent.number)])
        XCTAssertEqual(agents.map { $0.string("agentName") }, ["Ahmed Ali"])
        // The same body again: the duplicate email.
        let (duplicateStatus, duplicate) = try run(commands[0])
        XCTAssertEqual(duplicateStatus, 400)
        XCTAssertEqual(duplicate.string("message"), "Lead with this email already exists")

        // GET list with query, category and page.
        let (listStatus, listed) = try run(commands[1])
        XCTAssertEqual(listStatus, 200)
        XCTAssertEqual(listed["leads"]?.arrayValue?.compactMap { $0.int("id") }, [Int64(leadId)])
        XCTAssertEqual(listed.int("totalPages"), 1)
        // GET by id: the top-level key is leads.
        let (getStatus, got) = try run(commands[2])
        XCTAssertEqual(getStatus, 200)
        XCTAssertEqual(got["leads"]?.string("email"), "jane@example.com")
        // The agent's clients, under clients.
        let (agentStatus, agentClients) = try run(commands[3])
        XCTAssertEqual(agentStatus, 200)
        XCTAssertEqual(agentClients["clients"]?.arrayValue?.compactMap { $0.int("id") }, [Int64(leadId)])
        XCTAssertEqual(agentClients.int("totalPages"), 1)
        // PUT
        let (putStatus, put) = try run(commands[4])
        XCTAssertEqual(putStatus, 200)
        XCTAssertEqual(put.string("message"), "LeadClient updated successfully")
        let putLead = try await lead(leadId, as: w.sales.token)
        XCTAssertEqual(putLead.string("phone"), "+971511111111")
        // DELETE soft-disables.
        let (deleteStatus, deleted) = try run(commands[5])
        XCTAssertEqual(deleteStatus, 200)
        XCTAssertEqual(deleted.string("message"), "Lead disabled successfully")
        let disabledLead = try await lead(leadId, as: w.sales.token)
        XCTAssertEqual(disabledLead.bool("isActive"), false)
        let (_, activeOnly) = try run(commands[1])
        XCTAssertEqual(activeOnly["leads"]?.arrayValue?.count, 0, "a disabled lead is not active")
        // change-password sets hasJoined.
        let (passwordStatus, changed) = try run(commands[6])
        XCTAssertEqual(passwordStatus, 200)
        XCTAssertEqual(changed.string("message"), "Password changed successfully")
        let joinedLead = try await lead(leadId, as: w.sales.token)
        XCTAssertEqual(joinedLead.bool("hasJoined"), true)
        // The passport upload as the document writes it; the lead then shows where it downloads.
        let (passportStatus, passportReply) = try run(commands[7])
        XCTAssertEqual(passportStatus, 200, "\(passportReply)")
        XCTAssertEqual(passportReply.string("message"), "Passport uploaded successfully")
        XCTAssertEqual(passportReply.string("path"), "/api/clients/passport/\(leadId)")
        let withPassport = try await lead(leadId, as: w.sales.token)
        XCTAssertEqual(withPassport.string("passport"), "/api/clients/passport/\(leadId)")
    }

    // MARK: Lists, scoping and input

    func testListsFilterPageAndStayWithinTheCallersCompanies() async throws {
        let w = try await world()
        for index in 0..<12 {
            _ = try await createLead(w.admin.token, company: w.a.number, name: "Lead \(index)", isActive: index % 4 != 0)
        }
        let bLead = try await createLead(w.adminB.token, company: w.b.number, name: "Lead in B")

        let all = try await gateway.call(.GET, "/api/clients", as: .session(w.finance.token))
        XCTAssertEqual(all.json["leads"]?.arrayValue?.count, 12, "no page: the whole list of the caller's companies")
        XCTAssertEqual(all.json.int("totalPages"), 2)
        let first = try await gateway.call(.GET, "/api/clients?page=1", as: .session(w.finance.token))
        let firstIds = (first.json["leads"]?.arrayValue ?? []).compactMap { $0.int("id") }
        XCTAssertEqual(firstIds.count, 10)
        XCTAssertEqual(firstIds, firstIds.sorted(by: >), "newest first")
        let second = try await gateway.call(.GET, "/api/clients?page=2", as: .session(w.finance.token))
        XCTAssertEqual(second.json["leads"]?.arrayValue?.count, 2)
        let inactive = try await gateway.call(.GET, "/api/clients?category=not_active", as: .session(w.finance.token))
        XCTAssertEqual((inactive.json["leads"]?.arrayValue)?.allSatisfy { $0.bool("isActive") == false }, true)
        XCTAssertEqual(inactive.json["leads"]?.arrayValue?.count, 3)
        let byName = try await gateway.call(.GET, "/api/clients?query=LEAD%201", as: .session(w.finance.token))
        XCTAssertEqual(Set((byName.json["leads"]?.arrayValue ?? []).compactMap { $0.string("name") }),
                       ["Lead 1", "Lead 10", "Lead 11"])
        // The super-admin sees both companies, or one with ?company=.
        let rootAll = try await gateway.call(.GET, "/api/clients?query=Lead%20in%20B", as: .session(w.root))
        XCTAssertEqual((rootAll.json["leads"]?.arrayValue)?.compactMap { $0.int("id") }, [Int64(bLead)])
        let rootA = try await gateway.call(.GET, "/api/clients?company=\(w.a.number)", as: .session(w.root))
        XCTAssertEqual(rootA.json["leads"]?.arrayValue?.count, 12)

        // Bad input: a clear 400 naming what is wrong, nothing created.
        for (path, message) in [("/api/clients?page=0", "page"), ("/api/clients?category=maybe", "category"),
                                ("/api/clients?company=seven", "Invalid company ID")] {
            let reply = try await gateway.call(.GET, path, as: .session(w.finance.token))
            XCTAssertEqual(reply.status, 400, path)
            XCTAssertTrue((reply.json.string("message") ?? "").contains(message), "\(path): \(reply.text)")
        }
        let bad = try await gateway.call(.POST, "/api/clients", as: .session(w.sales.token),
                                         json: ["email": "not-an-email", "company": .int(Int64(w.a.number)), "agents": [["agentId": 999_999]]])
        XCTAssertEqual(bad.status, 400, bad.text)
        let fields = Set((bad.json["errors"]?.arrayValue ?? []).compactMap { $0.string("field") })
        XCTAssertEqual(fields, ["name", "email"])
        let unknownAgent = try await gateway.call(.POST, "/api/clients", as: .session(w.sales.token),
                                                  json: ["name": "X", "email": .string("x-\(UUID())@example.com"),
                                                         "company": .int(Int64(w.a.number)), "agents": [["agentId": .int(Int64(w.adminB.number))]]])
        XCTAssertEqual(unknownAgent.status, 400, "an agent of another company: \(unknownAgent.text)")
        XCTAssertTrue(unknownAgent.text.contains("agents[0].agentId"))
        let notJSON = try await gateway.call(.POST, "/api/clients", as: .session(w.sales.token), body: Array("name=x".utf8),
                                             headers: ["Content-Type": "text/plain"])
        XCTAssertEqual(notJSON.status, 415)
        let afterAll = try await gateway.call(.GET, "/api/clients", as: .session(w.finance.token))
        XCTAssertEqual(afterAll.json["leads"]?.arrayValue?.count, 12, "refused writes created nothing")
        let missing = try await gateway.call(.GET, "/api/clients/999999999", as: .session(w.finance.token))
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.json.string("message"), "Lead not found")
        let malformed = try await gateway.call(.GET, "/api/clients/abc", as: .session(w.finance.token))
        XCTAssertEqual(malformed.status, 400)
    }

    // MARK: One client, many faces

    func testTheSameClientsThroughTheOrganizationAPI() async throws {
        let w = try await world()
        let issued = try await gateway.call(.POST, "/api/api-keys", as: .session(w.root), json: ["companyId": .string(w.a.id)])
        XCTAssertEqual(issued.status, 201, issued.text)
        let key = try XCTUnwrap(issued.json["data"]?.string("key"))

        // Created through /api/v1: a lead with a number in /api/clients.
        let v1 = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(key), json: ["name": "From V1", "phone": "+1 555"])
        XCTAssertEqual(v1.status, 201, v1.text)
        let v1Id = try XCTUnwrap(v1.json["data"]?.string("id"))
        let found = try await gateway.call(.GET, "/api/clients?query=From%20V1", as: .session(w.sales.token))
        let asLead = try XCTUnwrap((found.json["leads"]?.arrayValue)?.first, found.text)
        let number = try XCTUnwrap(asLead.int("id"))
        XCTAssertEqual(asLead.string("phone"), "+1 555")
        XCTAssertEqual(asLead["createdBy"], .null, "an API key is not a user")

        // Changed through /api/clients: /api/v1 shows the change under its UUID.
        let put = try await gateway.call(.PUT, "/api/clients/\(number)", as: .session(w.sales.token), json: ["name": "Renamed In Leads"])
        XCTAssertEqual(put.status, 200, put.text)
        let v1Get = try await gateway.call(.GET, "/api/v1/clients/\(v1Id)", as: .apiKey(key))
        XCTAssertEqual(v1Get.json["data"]?.string("name"), "Renamed In Leads")

        // Created through /api/clients: in the /api/v1 list of the same company, not another's.
        _ = try await createLead(w.sales.token, company: w.a.number, name: "From Leads")
        let v1List = try await gateway.call(.GET, "/api/v1/clients?query=From%20Leads", as: .apiKey(key))
        XCTAssertEqual((v1List.json["data"]?.arrayValue)?.compactMap { $0.string("name") }, ["From Leads"])
        let keyB = try await gateway.call(.POST, "/api/api-keys", as: .session(w.root), json: ["companyId": .string(w.b.id)])
        let secretB = try XCTUnwrap(keyB.json["data"]?.string("key"))
        let v1OtherList = try await gateway.call(.GET, "/api/v1/clients?query=From%20Leads", as: .apiKey(secretB))
        XCTAssertEqual(v1OtherList.json.int("total"), 0)
    }

    // MARK: Session tokens on these routes

    func testExpiredForeignAndRevokedTokensAreRefused() async throws {
        let w = try await world()
        let stack = try await Self.shared.stack()
        let keys = try SessionKeys(parsing: stack.jwtKeys)
        let signer = SessionTokens(keys: keys, lifetime: 3600)
        let now = Int64(Date().timeIntervalSince1970)
        let claims = SessionClaims(sub: w.admin.id, iat: now - 7200, exp: now - 3600, jti: UUID().uuidString.lowercased(),
                                   roles: ["admin"], companies: [w.a.id])
        let expired = signer.sign(claims)
        let foreign = SessionTokens(keys: SessionKeys(signing: .init(id: keys.signing.id, secret: Array(repeating: 7, count: 32))),
                                    lifetime: 3600)
        var fresh = claims
        fresh.iat = now
        fresh.exp = now + 3600
        let retired = SessionTokens(keys: SessionKeys(signing: .init(id: "retired", secret: Array(repeating: 9, count: 32))),
                                    lifetime: 3600)
        for (name, token) in [("expired", expired), ("signed with another secret", foreign.sign(fresh)),
                              ("signed with a key the gateway does not hold", retired.sign(fresh))] {
            for credential in [Credential.session(token), .sessionCookie(token)] {
                let reply = try await gateway.call(.GET, "/api/clients", as: credential)
                XCTAssertEqual(reply.status, 401, "\(name) \(credential)")
            }
        }
        // A valid token works by cookie and bearer until logout, then neither.
        let valid = signer.sign(fresh)
        let byCookie = try await gateway.call(.GET, "/api/clients", as: .sessionCookie(valid))
        XCTAssertEqual(byCookie.status, 200, byCookie.text)
        let logout = try await gateway.call(.POST, "/api/auth/logout", as: .session(w.admin.token))
        XCTAssertEqual(logout.status, 200)
        for credential in [Credential.session(w.admin.token), .sessionCookie(w.admin.token)] {
            let reply = try await gateway.call(.GET, "/api/clients", as: credential)
            XCTAssertEqual(reply.status, 401, "revoked after logout")
        }
    }
}
