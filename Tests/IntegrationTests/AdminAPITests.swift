import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// The admin clients API (`/api/admin/clients`) through the real gateway and services: the
/// document's routes and envelopes, its validation rules, company scoping, bulk operations,
/// the hard delete, the activity routes and the statistics.
final class AdminAPITests: XCTestCase {
    static let adminEmail = "root@admin.test"
    static let adminPassword = "admin-bootstrap-\(UUID().uuidString)"
    private static let shared = SharedStack("adminapi", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword,
    ])

    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    struct Reply {
        var status: Int
        var headers = HTTPHeaders()
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private func call(_ method: HTTPMethod, _ path: String, token: String?, body: Any? = nil) async throws -> Reply {
        let stack = try await Self.shared.stack()
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        var bytes: [UInt8] = []
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        let response = try await http.execute(HTTPClientRequest(method: method, url: stack.gateway.baseURL + path,
                                                                headers: headers, body: bytes))
        return Reply(status: response.status.code, headers: response.headers, body: response.body)
    }

    private func token(_ email: String, _ password: String) async throws -> String {
        let reply = try await call(.POST, "/api/auth/login", token: nil, body: ["email": email, "password": password])
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.json["token"] as? String)
    }

    struct World {
        var root: String
        var companyA: String
        var companyB: String
        var adminA: String
        var adminB: String
        var sales: String
    }

    private func world() async throws -> World {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        func company(_ name: String) async throws -> String {
            let reply = try await call(.POST, "/api/companies", token: root, body: ["name": "\(name) \(suffix)"])
            XCTAssertEqual(reply.status, 201, reply.text)
            return try XCTUnwrap(reply.data["id"] as? String)
        }
        let a = try await company("Admin A")
        let b = try await company("Admin B")
        func user(_ name: String, _ role: String, _ company: String) async throws -> String {
            let email = "\(name)-\(suffix)@admin.test"
            let reply = try await call(.POST, "/api/users", token: root, body: [
                "email": email, "name": name, "password": "a shared test password", "roles": [role], "companies": [company],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            return try await token(email, "a shared test password")
        }
        return World(root: root, companyA: a, companyB: b, adminA: try await user("admin-a", "admin", a),
                     adminB: try await user("admin-b", "admin", b), sales: try await user("sales-a", "sales", a))
    }

    private func create(_ token: String, _ body: [String: Any], file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let reply = try await call(.POST, "/api/admin/clients", token: token, body: body)
        XCTAssertEqual(reply.status, 200, reply.text, file: file, line: line)
        return try XCTUnwrap(reply.data["id"] as? String, file: file, line: line)
    }

    // MARK: The document's routes

    func testCreateGetUpdateListAndDeleteAsDocumented() async throws {
        let w = try await world()
        let unique = UUID().uuidString.prefix(6).lowercased()
        let created = try await call(.POST, "/api/admin/clients", token: w.adminA, body: [
            "email": "john.doe.\(unique)@example.com", "displayName": "John Doe", "username": "johndoe\(unique)",
            "company": "Tech Corp Inc", "plan": "premium", "accountType": "business", "jobTitle": "Developer",
            "location": "Austin, United States", "website": "https://example.com",
        ])
        XCTAssertEqual(created.status, 200, created.text)
        XCTAssertEqual(created.json["success"] as? Bool, true)
        XCTAssertEqual(created.json["message"] as? String, "Client created successfully")
        XCTAssertEqual(Set(created.data.keys), ["id", "displayName", "email", "status", "plan", "accountType", "createdAt"])
        let id = try XCTUnwrap(created.data["id"] as? String)
        XCTAssertTrue(id.hasPrefix("client_"), id)
        XCTAssertEqual(created.data["status"] as? String, "active")
        XCTAssertEqual(created.data["plan"] as? String, "premium")

        // The client's account: a temporary password stored only as a hash beside the event
        // store, flagged temporary; no event and no log line carries it.
        let stack = try await Self.shared.stack()
        let number = try XCTUnwrap(Int64(id.dropFirst("client_".count)))
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let credential = try await pool.query("""
            SELECT c.temporary, c.password_hash FROM client_portal_credentials c
            JOIN events e ON e.stream_id = c.client_id AND e.type = 'client.created' AND (e.data ->> 'number')::bigint = $1
            """, [number])
        let hash = try XCTUnwrap(credential.first?.decode(1, as: String.self), "no account for the created client")
        XCTAssertEqual(try credential.first?.decode(0, as: Bool.self), true)
        XCTAssertTrue(hash.hasPrefix("pbkdf2-sha256$"), hash)
        let leaks = try await pool.query("SELECT count(*) FROM events WHERE data::text LIKE '%pbkdf2%'")
        XCTAssertEqual(try leaks[0].decode(0, as: Int64.self), 0)
        await pool.close()
        for service in stack.services {
            let log = String(decoding: (try? Data(contentsOf: service.process.logFile)) ?? Data(), as: UTF8.self)
            XCTAssertFalse(log.contains(hash) || log.contains("pbkdf2"), "\(service.name) logged the account's hash")
        }

        // Defaults: displayName from the email, individual, active, free.
        let bare = try await call(.POST, "/api/admin/clients", token: w.adminA, body: ["email": "jane.roe.\(unique)@example.com"])
        XCTAssertEqual(bare.data["displayName"] as? String, "jane.roe.\(unique)")
        XCTAssertEqual(bare.data["accountType"] as? String, "individual")
        XCTAssertEqual(bare.data["plan"] as? String, "free")

        let got = try await call(.GET, "/api/admin/clients/\(id)", token: w.adminA)
        XCTAssertEqual(got.status, 200, got.text)
        XCTAssertEqual(got.data["company"] as? String, "Tech Corp Inc")
        XCTAssertEqual(got.data["jobTitle"] as? String, "Developer")
        XCTAssertEqual(got.data["totalSubmissions"] as? Int, 0)

        let updated = try await call(.PUT, "/api/admin/clients/\(id)", token: w.adminA, body: [
            "displayName": "John Doe Updated", "username": "johndoe_updated\(unique)", "bio": "Senior Developer",
            "jobTitle": "Lead Developer", "company": "Tech Corp Inc", "status": "active", "plan": "premium", "accountType": "business",
        ])
        XCTAssertEqual(updated.status, 200, updated.text)
        XCTAssertEqual(updated.data["displayName"] as? String, "John Doe Updated")
        XCTAssertEqual(updated.data["bio"] as? String, "Senior Developer")

        let list = try await call(.GET, "/api/admin/clients?page=1&limit=10&plan=premium&accountType=business&search=John%20Doe",
                                  token: w.adminA)
        XCTAssertEqual(list.status, 200, list.text)
        let clients = try XCTUnwrap(list.data["clients"] as? [[String: Any]])
        XCTAssertEqual(clients.compactMap { $0["id"] as? String }, [id])
        XCTAssertEqual(Set(clients[0].keys), ["id", "displayName", "username", "email", "company", "status", "plan",
                                              "accountType", "joinedAt", "lastActiveAt"])
        let meta = try XCTUnwrap(list.json["meta"] as? [String: Any])
        XCTAssertEqual(meta["page"] as? Int, 1)
        XCTAssertEqual(meta["total"] as? Int, 1)
        XCTAssertEqual(meta["totalPages"] as? Int, 1)
        XCTAssertEqual(meta["limit"] as? Int, 10)

        // DELETE is permanent: gone from every API, its data unreadable.
        let deleted = try await call(.DELETE, "/api/admin/clients/\(id)", token: w.adminA)
        XCTAssertEqual(deleted.status, 200)
        XCTAssertEqual(deleted.json["message"] as? String, "Client deleted successfully")
        let gone = try await call(.GET, "/api/admin/clients/\(id)", token: w.adminA)
        XCTAssertEqual(gone.status, 404)
        XCTAssertEqual(gone.json["success"] as? Bool, false)
        let leads = try await call(.GET, "/api/clients?query=\(unique)", token: w.adminA)
        XCTAssertFalse(leads.text.contains("john.doe.\(unique)"), "the deleted client's email is still readable")
        let again = try await call(.DELETE, "/api/admin/clients/\(id)", token: w.adminA)
        XCTAssertEqual(again.status, 404)
    }

    func testValidationRulesAndScoping() async throws {
        let w = try await world()
        let cases: [([String: Any], String)] = [
            (["displayName": "No Email"], "email"),
            (["email": "not-an-email"], "email"),
            (["email": "a@example.com", "status": "gone"], "status"),
            (["email": "a@example.com", "plan": "gold"], "plan"),
            (["email": "a@example.com", "accountType": "government"], "accountType"),
            (["email": "a@example.com", "website": "javascript:alert(1)"], "website"),
            (["email": "a@example.com", "username": "x"], "username"),
            (["email": "a@example.com", "shoeSize": 44], "shoeSize"),
        ]
        for (body, field) in cases {
            let reply = try await call(.POST, "/api/admin/clients", token: w.adminA, body: body)
            XCTAssertEqual(reply.status, 400, "\(body): \(reply.text)")
            let fields = (reply.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            XCTAssertTrue(fields.contains(field), "\(body) should name \(field): \(reply.text)")
        }
        // A super-admin must name the company; an admin of one company need not.
        let rootCreate = try await call(.POST, "/api/admin/clients", token: w.root, body: ["email": "r-\(UUID())@example.com"])
        XCTAssertEqual(rootCreate.status, 400, rootCreate.text)
        XCTAssertTrue(rootCreate.text.contains("companyId"))
        let rootInB = try await create(w.root, ["email": "in-b-\(UUID())@example.com", "companyId": w.companyB])
        let elsewhere = try await call(.POST, "/api/admin/clients", token: w.adminA,
                                       body: ["email": "x-\(UUID())@example.com", "companyId": w.companyB])
        XCTAssertEqual(elsewhere.status, 403)
        // Duplicate email and username within a company: 400.
        let email = "dup-\(UUID().uuidString.prefix(8))@example.com"
        _ = try await create(w.adminA, ["email": email, "username": "dup\(email.prefix(12).filter(\.isLetter))"])
        let duplicate = try await call(.POST, "/api/admin/clients", token: w.adminA, body: ["email": email.uppercased()])
        XCTAssertEqual(duplicate.status, 400)
        // Admin A cannot see B's client; sales has no admin access at all.
        let hidden = try await call(.GET, "/api/admin/clients/\(rootInB)", token: w.adminA)
        XCTAssertEqual(hidden.status, 404)
        let visible = try await call(.GET, "/api/admin/clients/\(rootInB)", token: w.adminB)
        XCTAssertEqual(visible.status, 200)
        let sales = try await call(.GET, "/api/admin/clients", token: w.sales)
        XCTAssertEqual(sales.status, 403)
        XCTAssertEqual(sales.json["message"] as? String, "Admin privileges required")
        let anonymous = try await call(.GET, "/api/admin/clients", token: nil)
        XCTAssertEqual(anonymous.status, 401)
        for path in ["/api/admin/clients?limit=101", "/api/admin/clients?page=0", "/api/admin/clients?status=gone",
                     "/api/admin/clients/advanced-search?sortBy=shoeSize", "/api/admin/clients/advanced-search?emailVerified=maybe",
                     "/api/admin/clients/advanced-search?createdAfter=yesterday"] {
            let reply = try await call(.GET, path, token: w.adminA)
            XCTAssertEqual(reply.status, 400, "\(path): \(reply.text)")
        }
    }

    func testAdvancedSearchFiltersSortAndMetadata() async throws {
        let w = try await world()
        let tag = UUID().uuidString.prefix(6).lowercased()
        var ids: [String] = []
        for index in 0..<6 {
            ids.append(try await create(w.adminA, [
                "email": "p\(index)-\(tag)@\(index % 2 == 0 ? "even" : "odd")-\(tag).example", "company": "Corp \(index % 3) \(tag)",
                "plan": index < 3 ? "premium" : "free", "status": "active", "location": "City, Country\(index % 2)",
                "industry": "Industry \(tag)", "phone": index == 0 ? "+1 555" : NSNull(),
            ]))
        }
        // Activity: client 1 submits three times, client 2 once.
        for (index, count) in [(1, 3), (2, 1)] {
            for _ in 0..<count {
                let reply = try await call(.POST, "/api/admin/clients/\(ids[index])/activity", token: w.adminA, body: ["type": "submission"])
                XCTAssertEqual(reply.status, 200, reply.text)
            }
        }
        let flags = try await call(.PUT, "/api/admin/clients/\(ids[1])/account", token: w.adminA,
                                   body: ["emailVerified": true, "avatar": "https://cdn.example/a.png"])
        XCTAssertEqual(flags.status, 200, flags.text)
        XCTAssertEqual(flags.data["emailVerified"] as? Bool, true)
        XCTAssertNotNil(flags.data["lastActiveAt"] as? String)

        let search = try await call(.GET, "/api/admin/clients/advanced-search?plan=premium&industrySearch=\(tag)"
                                    + "&sortBy=totalSubmissions&sortOrder=desc&minSubmissions=1", token: w.adminA)
        XCTAssertEqual(search.status, 200, search.text)
        XCTAssertEqual((search.data["clients"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [ids[1], ids[2]])
        let pagination = try XCTUnwrap(search.data["pagination"] as? [String: Any])
        XCTAssertEqual(pagination["total"] as? Int, 2)
        let metadata = try XCTUnwrap(search.data["searchMetadata"] as? [String: Any])
        let applied = try XCTUnwrap(metadata["appliedFilters"] as? [String: Any])
        XCTAssertEqual(applied["plan"] as? String, "premium")
        XCTAssertEqual(applied["minSubmissions"] as? Int, 1)
        XCTAssertNotNil(metadata["searchTime"] as? Double)

        let byDomain = try await call(.GET, "/api/admin/clients/advanced-search?emailDomain=EVEN-\(tag).example", token: w.adminA)
        XCTAssertEqual((byDomain.data["pagination"] as? [String: Any])?["total"] as? Int, 3)
        let verified = try await call(.GET, "/api/admin/clients/advanced-search?industrySearch=\(tag)&emailVerified=true&hasAvatar=true",
                                      token: w.adminA)
        XCTAssertEqual((verified.data["clients"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [ids[1]])
        let phones = try await call(.GET, "/api/admin/clients/advanced-search?industrySearch=\(tag)&hasPhone=true", token: w.adminA)
        XCTAssertEqual((phones.data["clients"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [ids[0]])
        let byCompany = try await call(.GET, "/api/admin/clients/advanced-search?companySearch=corp%201%20\(tag)&sortBy=company",
                                       token: w.adminA)
        XCTAssertEqual(Set((byCompany.data["clients"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []), [ids[1], ids[4]])
        let tomorrow = String(Date(timeIntervalSinceNow: 86_400).description.prefix(10))
        let later = try await call(.GET, "/api/admin/clients/advanced-search?industrySearch=\(tag)&createdAfter=\(tomorrow)", token: w.adminA)
        XCTAssertEqual((later.data["pagination"] as? [String: Any])?["total"] as? Int, 0)
    }

    func testBulkUpdateAndDeleteReportEachItem() async throws {
        let w = try await world()
        let first = try await create(w.adminA, ["email": "b1-\(UUID())@example.com"])
        let second = try await create(w.adminA, ["email": "b2-\(UUID())@example.com"])
        let update = try await call(.PUT, "/api/admin/clients/bulk", token: w.adminA, body: ["clients": [
            ["id": first, "plan": "premium", "status": "active"],
            ["id": second, "plan": "standard"],
            ["id": "client_999999999", "plan": "free"],
            ["id": first, "plan": "gold"],
        ]])
        XCTAssertEqual(update.status, 200, update.text)
        XCTAssertEqual(update.json["message"] as? String, "Bulk update completed: 2 successful, 2 failed")
        let summary = try XCTUnwrap(update.json["summary"] as? [String: Any])
        XCTAssertEqual(summary["total"] as? Int, 4)
        let errors = try XCTUnwrap(update.json["errors"] as? [[String: Any]])
        XCTAssertEqual(errors.compactMap { $0["index"] as? Int }, [2, 3])
        XCTAssertEqual(errors.first?["error"] as? String, "Client not found")
        let got = try await call(.GET, "/api/admin/clients/\(second)", token: w.adminA)
        XCTAssertEqual(got.data["plan"] as? String, "standard")

        let tooMany = try await call(.PUT, "/api/admin/clients/bulk", token: w.adminA,
                                     body: ["clients": (0...100).map { _ in ["id": first] }])
        XCTAssertEqual(tooMany.status, 400)
        XCTAssertTrue(tooMany.text.contains("at most 100"), tooMany.text)
        let empty = try await call(.PUT, "/api/admin/clients/bulk", token: w.adminA, body: ["clients": []])
        XCTAssertEqual(empty.status, 400)
        let missingId = try await call(.DELETE, "/api/admin/clients/bulk", token: w.adminA, body: ["clients": [["plan": "x"]]])
        XCTAssertEqual(missingId.status, 400)

        let delete = try await call(.DELETE, "/api/admin/clients/bulk", token: w.adminA,
                                    body: ["clients": [["id": first], ["id": second], ["id": first]]])
        XCTAssertEqual(delete.status, 200, delete.text)
        XCTAssertEqual(delete.json["message"] as? String, "Bulk delete completed: 2 successful, 1 failed")
        for id in [first, second] {
            let reply = try await call(.GET, "/api/admin/clients/\(id)", token: w.adminA)
            XCTAssertEqual(reply.status, 404)
        }
    }

    /// Each admin write is answered once the stats projection counts it (the finding: a
    /// client created and then counted in the stats was missing for 6–43 ms).
    func testAWriteIsCountedInTheStatsWhenItIsAnswered() async throws {
        let w = try await world()
        let unique = UUID().uuidString.prefix(6).lowercased()
        for index in 1...5 {
            let created = try await call(.POST, "/api/admin/clients", token: w.adminB,
                                         body: ["email": "counted\(index)-\(unique)@example.com", "status": "trial"])
            XCTAssertEqual(created.status, 200, created.text)
            XCTAssertNil(created.headers["X-Consistency"])
            let reply = try await call(.GET, "/api/admin/clients/stats", token: w.adminB)
            XCTAssertEqual((reply.data["overview"] as? [String: Any])?["trialClients"] as? Int, index,
                           "the stats right after create \(index)")
        }
    }

    func testStatsAndDashboardCoverTheCallersCompanies() async throws {
        let w = try await world()
        let unique = UUID().uuidString.prefix(6).lowercased()
        for (index, plan) in ["free", "standard", "premium", "premium"].enumerated() {
            _ = try await create(w.adminB, ["email": "s\(index)-\(unique)@example.com", "plan": plan, "status": index == 0 ? "trial" : "active",
                                            "location": "Paris, France", "company": "Stat Co", "industry": "Stats"])
        }
        // The admin API's writes are answered once the stats show them too: no waiting here.
        let reply = try await call(.GET, "/api/admin/clients/stats", token: w.adminB)
        XCTAssertEqual(reply.status, 200, reply.text)
        let stats = reply.data
        let overview = try XCTUnwrap(stats["overview"] as? [String: Any])
        XCTAssertEqual(overview["totalClients"] as? Int, 4)
        XCTAssertEqual(overview["activeClients"] as? Int, 3)
        XCTAssertEqual(overview["trialClients"] as? Int, 1)
        let plans = try XCTUnwrap(stats["plans"] as? [String: Any])
        XCTAssertEqual(plans["premium"] as? Int, 2)
        XCTAssertEqual(plans["conversionRate"] as? Double, 75)
        XCTAssertEqual((stats["growth"] as? [String: Any])?["newClientsToday"] as? Int, 4)
        let countries = try XCTUnwrap((stats["demographics"] as? [String: Any])?["topCountries"] as? [[String: Any]])
        XCTAssertEqual(countries.first?["country"] as? String, "France")
        XCTAssertEqual(countries.first?["count"] as? Int, 4)

        let dashboard = try await call(.GET, "/api/admin/clients/dashboard?limit=2&createdAfter=2020-01-01", token: w.adminB)
        XCTAssertEqual(dashboard.status, 200, dashboard.text)
        XCTAssertEqual((dashboard.data["clients"] as? [Any])?.count, 2)
        XCTAssertEqual((dashboard.data["pagination"] as? [String: Any])?["totalPages"] as? Int, 2)
        XCTAssertEqual(((dashboard.data["stats"] as? [String: Any])?["overview"] as? [String: Any])?["totalClients"] as? Int, 4)
    }
}
