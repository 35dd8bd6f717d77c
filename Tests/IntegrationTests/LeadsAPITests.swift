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

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    enum Credential {
        case bearer(String)
        case cookie(String)
    }

    private func call(_ method: HTTPMethod, _ path: String, as credential: Credential? = nil, body: Any? = nil,
                      contentType: String = "application/json") async throws -> Reply {
        let stack = try await Self.shared.stack()
        var headers = HTTPHeaders()
        switch credential {
        case .bearer(let token): headers.add(name: "Authorization", value: "Bearer \(token)")
        case .cookie(let token): headers.add(name: "Cookie", value: "token=\(token)")
        case nil: break
        }
        var bytes: [UInt8] = []
        if let body {
            headers.add(name: "Content-Type", value: contentType)
            bytes = body is String ? Array((body as! String).utf8) : Array(try JSONSerialization.data(withJSONObject: body))
        }
        let response = try await http.execute(HTTPClientRequest(method: method, url: stack.gateway.baseURL + path,
                                                                headers: headers, body: bytes))
        return Reply(status: response.status.code, headers: response.headers, body: response.body)
    }

    private func token(_ email: String, _ password: String) async throws -> String {
        let reply = try await call(.POST, "/api/auth/login", body: ["email": email, "password": password])
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.json["token"] as? String)
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
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        func company(_ name: String) async throws -> World.Company {
            let reply = try await call(.POST, "/api/companies", as: .bearer(root), body: ["name": "\(name) \(suffix)"])
            XCTAssertEqual(reply.status, 201, reply.text)
            let data = try XCTUnwrap(reply.json["data"] as? [String: Any])
            return World.Company(id: try XCTUnwrap(data["id"] as? String), number: try XCTUnwrap(data["number"] as? Int))
        }
        let a = try await company("Acme Properties")
        let b = try await company("Bluth Homes")
        let password = "a shared test password"
        func person(_ name: String, _ role: String, _ company: World.Company) async throws -> World.Person {
            let email = "\(name.lowercased().replacingOccurrences(of: " ", with: "."))-\(suffix)@leads.test"
            let reply = try await call(.POST, "/api/users", as: .bearer(root), body: [
                "email": email, "name": name, "password": password, "roles": [role], "companies": [company.id],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            let data = try XCTUnwrap(reply.json["data"] as? [String: Any])
            return World.Person(id: try XCTUnwrap(data["id"] as? String), number: try XCTUnwrap(data["number"] as? Int), name: name,
                                token: try await token(email, password))
        }
        return World(root: root, a: a, b: b,
                     admin: try await person("Ada Admin", "admin", a), sales: try await person("Sal Sales", "sales", a),
                     finance: try await person("Fin Finance", "finance", a), agent: try await person("Ahmed Ali", "agent", a),
                     otherAgent: try await person("Oto Agent", "agent", a), adminB: try await person("Bea Admin", "admin", b))
    }

    /// Creates a lead as `token` and returns its id (from `Location`).
    private func createLead(_ token: String, company: Int, name: String = "Lead", email: String? = nil,
                            agents: [[String: Any]] = [], isActive: Bool = true,
                            file: StaticString = #filePath, line: UInt = #line) async throws -> Int {
        let reply = try await call(.POST, "/api/clients", as: .bearer(token), body: [
            "name": name, "email": email ?? "\(UUID().uuidString.prefix(12).lowercased())@example.com", "company": company,
            "agents": agents, "isActive": isActive,
        ])
        XCTAssertEqual(reply.status, 201, reply.text, file: file, line: line)
        XCTAssertEqual(reply.json["message"] as? String, "LeadClient created successfully", file: file, line: line)
        let location = try XCTUnwrap(reply.headers["Location"], file: file, line: line)
        return try XCTUnwrap(Int(location.split(separator: "/").last ?? ""), file: file, line: line)
    }

    private func lead(_ id: Int, as token: String) async throws -> [String: Any] {
        let reply = try await call(.GET, "/api/clients/\(id)", as: .bearer(token))
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.json["leads"] as? [String: Any])
    }

    // MARK: The authorization matrix

    /// Every route, every role, own and other company, and no session: the expected status.
    func testAuthorizationMatrix() async throws {
        let w = try await world()
        let assigned = [["agentId": w.agent.number, "agentName": w.agent.name]]
        let leadId = try await createLead(w.admin.token, company: w.a.number, agents: assigned)
        let otherLead = try await createLead(w.adminB.token, company: w.b.number)

        enum Caller: CaseIterable { case anonymous, superAdmin, admin, sales, finance, agent, unassignedAgent, otherCompanyAdmin }
        func credential(_ caller: Caller) -> Credential? {
            switch caller {
            case .anonymous: nil
            case .superAdmin: .bearer(w.root)
            case .admin: .cookie(w.admin.token)
            case .sales: .bearer(w.sales.token)
            case .finance: .cookie(w.finance.token)
            case .agent: .bearer(w.agent.token)
            case .unassignedAgent: .cookie(w.otherAgent.token)
            case .otherCompanyAdmin: .bearer(w.adminB.token)
            }
        }
        func newLead() -> [String: Any] {
            ["name": "Matrix Lead", "email": "\(UUID().uuidString.prefix(12).lowercased())@example.com", "company": w.a.number]
        }
        // Status per caller, in `Caller.allCases` order.
        let rows: [(String, HTTPMethod, String, (() -> Any)?, [Int])] = [
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
                let reply = try await call(method, path, as: credential(caller), body: body?())
                XCTAssertEqual(reply.status, status, "\(name) as \(caller): \(reply.text)")
                if status >= 400 {
                    XCTAssertNotNil(reply.json["message"] as? String, "\(name) as \(caller): errors are {message}: \(reply.text)")
                }
            }
        }
        // The 403 for a company the caller may not use is the document's message.
        let invalid = try await call(.GET, "/api/clients?company=\(w.a.number)", as: .bearer(w.adminB.token))
        XCTAssertEqual(invalid.json["message"] as? String, "Invalid company ID")
        let createElsewhere = try await call(.POST, "/api/clients", as: .bearer(w.adminB.token), body: newLead())
        XCTAssertEqual(createElsewhere.json["message"] as? String, "Invalid company ID")
        // Nothing the refused callers sent changed the lead.
        let after = try await lead(leadId, as: w.admin.token)
        XCTAssertEqual(after["phone"] as? String, "+971511111111")
        XCTAssertEqual(after["isActive"] as? Bool, false)
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
        func run(_ command: String) throws -> (Int, [String: Any]) {
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
            return (Int(parts.last ?? "") ?? 0,
                    (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? ["raw": body])
        }

        // POST: 201 and the document's message.
        let (createStatus, created) = try run(commands[0])
        XCTAssertEqual(createStatus, 201, "\(created)")
        XCTAssertEqual(created["message"] as? String, "LeadClient created successfully")
        let list = try await call(.GET, "/api/clients?query=jane@example.com&company=\(w.a.number)", as: .bearer(w.sales.token))
        let jane = try XCTUnwrap((list.json["leads"] as? [[String: Any]])?.first)
        leadId = try XCTUnwrap(jane["id"] as? Int)
        XCTAssertEqual(jane["name"] as? String, "Jane Doe")
        XCTAssertEqual(jane["address"] as? String, "Dubai, UAE")
        XCTAssertTrue((jane["company"] as? String ?? "").hasPrefix("Acme Properties"))
        XCTAssertEqual(jane["createdBy"] as? Int, w.sales.number)
        XCTAssertEqual(jane["hasJoined"] as? Bool, false)
        let agents = jane["agents"] as? [[String: Any]] ?? []
        XCTAssertEqual(agents.map { $0["agentId"] as? Int }, [w.agent.number])
        XCTAssertEqual(agents.map { $0["agentName"] as? String }, ["Ahmed Ali"])
        // The same body again: the duplicate email.
        let (duplicateStatus, duplicate) = try run(commands[0])
        XCTAssertEqual(duplicateStatus, 400)
        XCTAssertEqual(duplicate["message"] as? String, "Lead with this email already exists")

        // GET list with query, category and page.
        let (listStatus, listed) = try run(commands[1])
        XCTAssertEqual(listStatus, 200)
        XCTAssertEqual((listed["leads"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [leadId])
        XCTAssertEqual(listed["totalPages"] as? Int, 1)
        // GET by id: the top-level key is leads.
        let (getStatus, got) = try run(commands[2])
        XCTAssertEqual(getStatus, 200)
        XCTAssertEqual((got["leads"] as? [String: Any])?["email"] as? String, "jane@example.com")
        // The agent's clients, under clients.
        let (agentStatus, agentClients) = try run(commands[3])
        XCTAssertEqual(agentStatus, 200)
        XCTAssertEqual((agentClients["clients"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [leadId])
        XCTAssertEqual(agentClients["totalPages"] as? Int, 1)
        // PUT
        let (putStatus, put) = try run(commands[4])
        XCTAssertEqual(putStatus, 200)
        XCTAssertEqual(put["message"] as? String, "LeadClient updated successfully")
        let putLead = try await lead(leadId, as: w.sales.token)
        XCTAssertEqual(putLead["phone"] as? String, "+971511111111")
        // DELETE soft-disables.
        let (deleteStatus, deleted) = try run(commands[5])
        XCTAssertEqual(deleteStatus, 200)
        XCTAssertEqual(deleted["message"] as? String, "Lead disabled successfully")
        let disabledLead = try await lead(leadId, as: w.sales.token)
        XCTAssertEqual(disabledLead["isActive"] as? Bool, false)
        let (_, activeOnly) = try run(commands[1])
        XCTAssertEqual((activeOnly["leads"] as? [Any])?.count, 0, "a disabled lead is not active")
        // change-password sets hasJoined.
        let (passwordStatus, changed) = try run(commands[6])
        XCTAssertEqual(passwordStatus, 200)
        XCTAssertEqual(changed["message"] as? String, "Password changed successfully")
        let joinedLead = try await lead(leadId, as: w.sales.token)
        XCTAssertEqual(joinedLead["hasJoined"] as? Bool, true)
        // The passport upload as the document writes it; the lead then shows where it downloads.
        let (passportStatus, passportReply) = try run(commands[7])
        XCTAssertEqual(passportStatus, 200, "\(passportReply)")
        XCTAssertEqual(passportReply["message"] as? String, "Passport uploaded successfully")
        XCTAssertEqual(passportReply["path"] as? String, "/api/clients/passport/\(leadId)")
        let withPassport = try await lead(leadId, as: w.sales.token)
        XCTAssertEqual(withPassport["passport"] as? String, "/api/clients/passport/\(leadId)")
    }

    // MARK: Lists, scoping and input

    func testListsFilterPageAndStayWithinTheCallersCompanies() async throws {
        let w = try await world()
        for index in 0..<12 {
            _ = try await createLead(w.admin.token, company: w.a.number, name: "Lead \(index)", isActive: index % 4 != 0)
        }
        let bLead = try await createLead(w.adminB.token, company: w.b.number, name: "Lead in B")

        let all = try await call(.GET, "/api/clients", as: .bearer(w.finance.token))
        XCTAssertEqual((all.json["leads"] as? [Any])?.count, 12, "no page: the whole list of the caller's companies")
        XCTAssertEqual(all.json["totalPages"] as? Int, 2)
        let first = try await call(.GET, "/api/clients?page=1", as: .bearer(w.finance.token))
        let firstIds = (first.json["leads"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
        XCTAssertEqual(firstIds.count, 10)
        XCTAssertEqual(firstIds, firstIds.sorted(by: >), "newest first")
        let second = try await call(.GET, "/api/clients?page=2", as: .bearer(w.finance.token))
        XCTAssertEqual((second.json["leads"] as? [Any])?.count, 2)
        let inactive = try await call(.GET, "/api/clients?category=not_active", as: .bearer(w.finance.token))
        XCTAssertEqual((inactive.json["leads"] as? [[String: Any]])?.allSatisfy { $0["isActive"] as? Bool == false }, true)
        XCTAssertEqual((inactive.json["leads"] as? [Any])?.count, 3)
        let byName = try await call(.GET, "/api/clients?query=LEAD%201", as: .bearer(w.finance.token))
        XCTAssertEqual(Set((byName.json["leads"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }),
                       ["Lead 1", "Lead 10", "Lead 11"])
        // The super-admin sees both companies, or one with ?company=.
        let rootAll = try await call(.GET, "/api/clients?query=Lead%20in%20B", as: .bearer(w.root))
        XCTAssertEqual((rootAll.json["leads"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [bLead])
        let rootA = try await call(.GET, "/api/clients?company=\(w.a.number)", as: .bearer(w.root))
        XCTAssertEqual((rootA.json["leads"] as? [Any])?.count, 12)

        // Bad input: a clear 400 naming what is wrong, nothing created.
        for (path, message) in [("/api/clients?page=0", "page"), ("/api/clients?category=maybe", "category"),
                                ("/api/clients?company=seven", "Invalid company ID")] {
            let reply = try await call(.GET, path, as: .bearer(w.finance.token))
            XCTAssertEqual(reply.status, 400, path)
            XCTAssertTrue((reply.json["message"] as? String ?? "").contains(message), "\(path): \(reply.text)")
        }
        let bad = try await call(.POST, "/api/clients", as: .bearer(w.sales.token),
                                 body: ["email": "not-an-email", "company": w.a.number, "agents": [["agentId": 999_999]]])
        XCTAssertEqual(bad.status, 400, bad.text)
        let fields = Set((bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
        XCTAssertEqual(fields, ["name", "email"])
        let unknownAgent = try await call(.POST, "/api/clients", as: .bearer(w.sales.token),
                                          body: ["name": "X", "email": "x-\(UUID())@example.com", "company": w.a.number,
                                                 "agents": [["agentId": w.adminB.number]]])
        XCTAssertEqual(unknownAgent.status, 400, "an agent of another company: \(unknownAgent.text)")
        XCTAssertTrue(unknownAgent.text.contains("agents[0].agentId"))
        let notJSON = try await call(.POST, "/api/clients", as: .bearer(w.sales.token), body: "name=x", contentType: "text/plain")
        XCTAssertEqual(notJSON.status, 415)
        let afterAll = try await call(.GET, "/api/clients", as: .bearer(w.finance.token))
        XCTAssertEqual((afterAll.json["leads"] as? [Any])?.count, 12, "refused writes created nothing")
        let missing = try await call(.GET, "/api/clients/999999999", as: .bearer(w.finance.token))
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.json["message"] as? String, "Lead not found")
        let malformed = try await call(.GET, "/api/clients/abc", as: .bearer(w.finance.token))
        XCTAssertEqual(malformed.status, 400)
    }

    // MARK: One client, many faces

    func testTheSameClientsThroughTheOrganizationAPI() async throws {
        let w = try await world()
        let issued = try await call(.POST, "/api/api-keys", as: .bearer(w.root), body: ["companyId": w.a.id])
        XCTAssertEqual(issued.status, 201, issued.text)
        let key = try XCTUnwrap((issued.json["data"] as? [String: Any])?["key"] as? String)

        // Created through /api/v1: a lead with a number in /api/clients.
        let v1 = try await call(.POST, "/api/v1/clients", as: .bearer(key), body: ["name": "From V1", "phone": "+1 555"])
        XCTAssertEqual(v1.status, 201, v1.text)
        let v1Id = try XCTUnwrap((v1.json["data"] as? [String: Any])?["id"] as? String)
        let found = try await call(.GET, "/api/clients?query=From%20V1", as: .bearer(w.sales.token))
        let asLead = try XCTUnwrap((found.json["leads"] as? [[String: Any]])?.first, found.text)
        let number = try XCTUnwrap(asLead["id"] as? Int)
        XCTAssertEqual(asLead["phone"] as? String, "+1 555")
        XCTAssertEqual(asLead["createdBy"] as? NSNull, NSNull(), "an API key is not a user")

        // Changed through /api/clients: /api/v1 shows the change under its UUID.
        let put = try await call(.PUT, "/api/clients/\(number)", as: .bearer(w.sales.token), body: ["name": "Renamed In Leads"])
        XCTAssertEqual(put.status, 200, put.text)
        let v1Get = try await call(.GET, "/api/v1/clients/\(v1Id)", as: .bearer(key))
        XCTAssertEqual((v1Get.json["data"] as? [String: Any])?["name"] as? String, "Renamed In Leads")

        // Created through /api/clients: in the /api/v1 list of the same company, not another's.
        _ = try await createLead(w.sales.token, company: w.a.number, name: "From Leads")
        let v1List = try await call(.GET, "/api/v1/clients?query=From%20Leads", as: .bearer(key))
        XCTAssertEqual((v1List.json["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["From Leads"])
        let keyB = try await call(.POST, "/api/api-keys", as: .bearer(w.root), body: ["companyId": w.b.id])
        let secretB = try XCTUnwrap((keyB.json["data"] as? [String: Any])?["key"] as? String)
        let v1OtherList = try await call(.GET, "/api/v1/clients?query=From%20Leads", as: .bearer(secretB))
        XCTAssertEqual(v1OtherList.json["total"] as? Int, 0)
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
            for credential in [Credential.bearer(token), .cookie(token)] {
                let reply = try await call(.GET, "/api/clients", as: credential)
                XCTAssertEqual(reply.status, 401, "\(name) \(credential)")
            }
        }
        // A valid token works by cookie and bearer until logout, then neither.
        let valid = signer.sign(fresh)
        let byCookie = try await call(.GET, "/api/clients", as: .cookie(valid))
        XCTAssertEqual(byCookie.status, 200, byCookie.text)
        let logout = try await call(.POST, "/api/auth/logout", as: .bearer(w.admin.token))
        XCTAssertEqual(logout.status, 200)
        for credential in [Credential.bearer(w.admin.token), .cookie(w.admin.token)] {
            let reply = try await call(.GET, "/api/clients", as: credential)
            XCTAssertEqual(reply.status, 401, "revoked after logout")
        }
    }
}
