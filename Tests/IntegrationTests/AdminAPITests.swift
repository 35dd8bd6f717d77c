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

    private var gateway: GatewayCaller {
        get async throws { try await GatewayCaller(http: http, shared: Self.shared) }
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
        let root = try await gateway.login(email: Self.adminEmail, password: Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        func company(_ name: String) async throws -> String {
            let reply = try await gateway.call(.POST, "/api/companies", as: .session(root), json: ["name": .string("\(name) \(suffix)")])
            XCTAssertEqual(reply.status, 201, reply.text)
            return try XCTUnwrap(reply.json["data"]?.string("id"))
        }
        let a = try await company("Admin A")
        let b = try await company("Admin B")
        func user(_ name: String, _ role: String, _ company: String) async throws -> String {
            let email = "\(name)-\(suffix)@admin.test"
            let reply = try await gateway.call(.POST, "/api/users", as: .session(root), json: [
                "email": .string(email), "name": .string(name), "password": "a shared test password", "roles": [.string(role)],
                "companies": [.string(company)],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            return try await gateway.login(email: email, password: "a shared test password")
        }
        return World(root: root, companyA: a, companyB: b, adminA: try await user("admin-a", "admin", a),
                     adminB: try await user("admin-b", "admin", b), sales: try await user("sales-a", "sales", a))
    }

    private func create(_ token: String, _ body: JSONValue, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let reply = try await gateway.call(.POST, "/api/admin/clients", as: .session(token), json: body)
        XCTAssertEqual(reply.status, 200, reply.text, file: file, line: line)
        return try XCTUnwrap(reply.json["data"]?.string("id"), file: file, line: line)
    }

    // MARK: The document's routes

    func testCreateGetUpdateListAndDeleteAsDocumented() async throws {
        let w = try await world()
        let unique = UUID().uuidString.prefix(6).lowercased()
        let created = try await gateway.call(.POST, "/api/admin/clients", as: .session(w.adminA), json: [
            "email": .string("john.doe.\(unique)@example.com"), "displayName": "John Doe", "username": .string("johndoe\(unique)"),
            "company": "Tech Corp Inc", "plan": "premium", "accountType": "business", "jobTitle": "Developer",
            "location": "Austin, United States", "website": "https://example.com",
        ])
        XCTAssertEqual(created.status, 200, created.text)
        XCTAssertEqual(created.json.bool("success"), true)
        XCTAssertEqual(created.json.string("message"), "Client created successfully")
        XCTAssertEqual(Set(try XCTUnwrap(created.json["data"]?.objectValue, created.text).keys),
                       ["id", "displayName", "email", "status", "plan", "accountType", "createdAt"])
        let id = try XCTUnwrap(created.json["data"]?.string("id"))
        XCTAssertTrue(id.hasPrefix("client_"), id)
        XCTAssertEqual(created.json["data"]?.string("status"), "active")
        XCTAssertEqual(created.json["data"]?.string("plan"), "premium")

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
        let bare = try await gateway.call(.POST, "/api/admin/clients", as: .session(w.adminA),
                                          json: ["email": .string("jane.roe.\(unique)@example.com")])
        XCTAssertEqual(bare.json["data"]?.string("displayName"), "jane.roe.\(unique)")
        XCTAssertEqual(bare.json["data"]?.string("accountType"), "individual")
        XCTAssertEqual(bare.json["data"]?.string("plan"), "free")

        let got = try await gateway.call(.GET, "/api/admin/clients/\(id)", as: .session(w.adminA))
        XCTAssertEqual(got.status, 200, got.text)
        XCTAssertEqual(got.json["data"]?.string("company"), "Tech Corp Inc")
        XCTAssertEqual(got.json["data"]?.string("jobTitle"), "Developer")
        XCTAssertEqual(got.json["data"]?.int("totalSubmissions"), 0)

        let updated = try await gateway.call(.PUT, "/api/admin/clients/\(id)", as: .session(w.adminA), json: [
            "displayName": "John Doe Updated", "username": .string("johndoe_updated\(unique)"), "bio": "Senior Developer",
            "jobTitle": "Lead Developer", "company": "Tech Corp Inc", "status": "active", "plan": "premium", "accountType": "business",
        ])
        XCTAssertEqual(updated.status, 200, updated.text)
        XCTAssertEqual(updated.json["data"]?.string("displayName"), "John Doe Updated")
        XCTAssertEqual(updated.json["data"]?.string("bio"), "Senior Developer")

        let list = try await gateway.call(.GET, "/api/admin/clients?page=1&limit=10&plan=premium&accountType=business&search=John%20Doe",
                                          as: .session(w.adminA))
        XCTAssertEqual(list.status, 200, list.text)
        let clients = try XCTUnwrap(list.json["data"]?["clients"]?.arrayValue)
        XCTAssertEqual(clients.compactMap { $0.string("id") }, [id])
        XCTAssertEqual(Set(try XCTUnwrap(clients[0].objectValue).keys), ["id", "displayName", "username", "email", "company", "status", "plan",
                                              "accountType", "joinedAt", "lastActiveAt"])
        let meta = try XCTUnwrap(list.json["meta"])
        XCTAssertEqual(meta.int("page"), 1)
        XCTAssertEqual(meta.int("total"), 1)
        XCTAssertEqual(meta.int("totalPages"), 1)
        XCTAssertEqual(meta.int("limit"), 10)

        // DELETE is permanent: gone from every API, its data unreadable.
        let deleted = try await gateway.call(.DELETE, "/api/admin/clients/\(id)", as: .session(w.adminA))
        XCTAssertEqual(deleted.status, 200)
        XCTAssertEqual(deleted.json.string("message"), "Client deleted successfully")
        let gone = try await gateway.call(.GET, "/api/admin/clients/\(id)", as: .session(w.adminA))
        XCTAssertEqual(gone.status, 404)
        XCTAssertEqual(gone.json.bool("success"), false)
        let leads = try await gateway.call(.GET, "/api/clients?query=\(unique)", as: .session(w.adminA))
        XCTAssertFalse(leads.text.contains("john.doe.\(unique)"), "the deleted client's email is still readable")
        let again = try await gateway.call(.DELETE, "/api/admin/clients/\(id)", as: .session(w.adminA))
        XCTAssertEqual(again.status, 404)
    }

    func testValidationRulesAndScoping() async throws {
        let w = try await world()
        let cases: [(JSONValue, String)] = [
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
            let reply = try await gateway.call(.POST, "/api/admin/clients", as: .session(w.adminA), json: body)
            XCTAssertEqual(reply.status, 400, "\(jsonText(body)): \(reply.text)")
            let fields = (reply.json["errors"]?.arrayValue ?? []).compactMap { $0.string("field") }
            XCTAssertTrue(fields.contains(field), "\(jsonText(body)) should name \(field): \(reply.text)")
        }
        // A super-admin must name the company; an admin of one company need not.
        let rootCreate = try await gateway.call(.POST, "/api/admin/clients", as: .session(w.root),
                                                json: ["email": .string("r-\(UUID())@example.com")])
        XCTAssertEqual(rootCreate.status, 400, rootCreate.text)
        XCTAssertTrue(rootCreate.text.contains("companyId"))
        let rootInB = try await create(w.root, ["email": .string("in-b-\(UUID())@example.com"), "companyId": .string(w.companyB)])
        let elsewhere = try await gateway.call(.POST, "/api/admin/clients", as: .session(w.adminA),
                                               json: ["email": .string("x-\(UUID())@example.com"), "companyId": .string(w.companyB)])
        XCTAssertEqual(elsewhere.status, 403)
        // Duplicate email and username within a company: 400.
        let email = "dup-\(UUID().uuidString.prefix(8))@example.com"
        _ = try await create(w.adminA, ["email": .string(email), "username": .string("dup\(email.prefix(12).filter(\.isLetter))")])
        let duplicate = try await gateway.call(.POST, "/api/admin/clients", as: .session(w.adminA),
                                               json: ["email": .string(email.uppercased())])
        XCTAssertEqual(duplicate.status, 400)
        // Admin A cannot see B's client; sales has no admin access at all.
        let hidden = try await gateway.call(.GET, "/api/admin/clients/\(rootInB)", as: .session(w.adminA))
        XCTAssertEqual(hidden.status, 404)
        let visible = try await gateway.call(.GET, "/api/admin/clients/\(rootInB)", as: .session(w.adminB))
        XCTAssertEqual(visible.status, 200)
        let sales = try await gateway.call(.GET, "/api/admin/clients", as: .session(w.sales))
        XCTAssertEqual(sales.status, 403)
        XCTAssertEqual(sales.json.string("message"), "Admin privileges required")
        let anonymous = try await gateway.call(.GET, "/api/admin/clients")
        XCTAssertEqual(anonymous.status, 401)
        for path in ["/api/admin/clients?limit=101", "/api/admin/clients?page=0", "/api/admin/clients?status=gone",
                     "/api/admin/clients/advanced-search?sortBy=shoeSize", "/api/admin/clients/advanced-search?emailVerified=maybe",
                     "/api/admin/clients/advanced-search?createdAfter=yesterday"] {
            let reply = try await gateway.call(.GET, path, as: .session(w.adminA))
            XCTAssertEqual(reply.status, 400, "\(path): \(reply.text)")
        }
    }

    func testAdvancedSearchFiltersSortAndMetadata() async throws {
        let w = try await world()
        let tag = UUID().uuidString.prefix(6).lowercased()
        var ids: [String] = []
        for index in 0..<6 {
            ids.append(try await create(w.adminA, [
                "email": .string("p\(index)-\(tag)@\(index % 2 == 0 ? "even" : "odd")-\(tag).example"),
                "company": .string("Corp \(index % 3) \(tag)"),
                "plan": index < 3 ? "premium" : "free", "status": "active", "location": .string("City, Country\(index % 2)"),
                "industry": .string("Industry \(tag)"), "phone": index == 0 ? "+1 555" : .null,
            ]))
        }
        // Activity: client 1 submits three times, client 2 once.
        for (index, count) in [(1, 3), (2, 1)] {
            for _ in 0..<count {
                let reply = try await gateway.call(.POST, "/api/admin/clients/\(ids[index])/activity", as: .session(w.adminA),
                                                   json: ["type": "submission"])
                XCTAssertEqual(reply.status, 200, reply.text)
            }
        }
        let flags = try await gateway.call(.PUT, "/api/admin/clients/\(ids[1])/account", as: .session(w.adminA),
                                           json: ["emailVerified": true, "avatar": "https://cdn.example/a.png"])
        XCTAssertEqual(flags.status, 200, flags.text)
        XCTAssertEqual(flags.json["data"]?.bool("emailVerified"), true)
        XCTAssertNotNil(flags.json["data"]?.string("lastActiveAt"))

        let search = try await gateway.call(.GET, "/api/admin/clients/advanced-search?plan=premium&industrySearch=\(tag)"
                                            + "&sortBy=totalSubmissions&sortOrder=desc&minSubmissions=1", as: .session(w.adminA))
        XCTAssertEqual(search.status, 200, search.text)
        XCTAssertEqual((search.json["data"]?["clients"]?.arrayValue)?.compactMap { $0.string("id") }, [ids[1], ids[2]])
        let pagination = try XCTUnwrap(search.json["data"]?["pagination"])
        XCTAssertEqual(pagination.int("total"), 2)
        let metadata = try XCTUnwrap(search.json["data"]?["searchMetadata"])
        let applied = try XCTUnwrap(metadata["appliedFilters"])
        XCTAssertEqual(applied.string("plan"), "premium")
        XCTAssertEqual(applied.int("minSubmissions"), 1)
        XCTAssertNotNil(metadata.number("searchTime"))

        let byDomain = try await gateway.call(.GET, "/api/admin/clients/advanced-search?emailDomain=EVEN-\(tag).example",
                                              as: .session(w.adminA))
        XCTAssertEqual(byDomain.json["data"]?["pagination"]?.int("total"), 3)
        let verified = try await gateway.call(.GET, "/api/admin/clients/advanced-search?industrySearch=\(tag)&emailVerified=true&hasAvatar=true",
                                              as: .session(w.adminA))
        XCTAssertEqual((verified.json["data"]?["clients"]?.arrayValue)?.compactMap { $0.string("id") }, [ids[1]])
        let phones = try await gateway.call(.GET, "/api/admin/clients/advanced-search?industrySearch=\(tag)&hasPhone=true",
                                            as: .session(w.adminA))
        XCTAssertEqual((phones.json["data"]?["clients"]?.arrayValue)?.compactMap { $0.string("id") }, [ids[0]])
        let byCompany = try await gateway.call(.GET, "/api/admin/clients/advanced-search?companySearch=corp%201%20\(tag)&sortBy=company",
                                               as: .session(w.adminA))
        XCTAssertEqual(Set((byCompany.json["data"]?["clients"]?.arrayValue)?.compactMap { $0.string("id") } ?? []), [ids[1], ids[4]])
        let tomorrow = String(Date(timeIntervalSinceNow: 86_400).description.prefix(10))
        let later = try await gateway.call(.GET, "/api/admin/clients/advanced-search?industrySearch=\(tag)&createdAfter=\(tomorrow)",
                                           as: .session(w.adminA))
        XCTAssertEqual(later.json["data"]?["pagination"]?.int("total"), 0)
    }

    func testBulkUpdateAndDeleteReportEachItem() async throws {
        let w = try await world()
        let first = try await create(w.adminA, ["email": .string("b1-\(UUID())@example.com")])
        let second = try await create(w.adminA, ["email": .string("b2-\(UUID())@example.com")])
        let update = try await gateway.call(.PUT, "/api/admin/clients/bulk", as: .session(w.adminA), json: ["clients": [
            ["id": .string(first), "plan": "premium", "status": "active"],
            ["id": .string(second), "plan": "standard"],
            ["id": "client_999999999", "plan": "free"],
            ["id": .string(first), "plan": "gold"],
        ]])
        XCTAssertEqual(update.status, 200, update.text)
        XCTAssertEqual(update.json.string("message"), "Bulk update completed: 2 successful, 2 failed")
        let summary = try XCTUnwrap(update.json["summary"])
        XCTAssertEqual(summary.int("total"), 4)
        let errors = try XCTUnwrap(update.json["errors"]?.arrayValue)
        XCTAssertEqual(errors.compactMap { $0.int("index") }, [2, 3])
        XCTAssertEqual(errors.first?.string("error"), "Client not found")
        let got = try await gateway.call(.GET, "/api/admin/clients/\(second)", as: .session(w.adminA))
        XCTAssertEqual(got.json["data"]?.string("plan"), "standard")

        let tooMany = try await gateway.call(.PUT, "/api/admin/clients/bulk", as: .session(w.adminA),
                                             json: ["clients": .array((0...100).map { _ in ["id": .string(first)] })])
        XCTAssertEqual(tooMany.status, 400)
        XCTAssertTrue(tooMany.text.contains("at most 100"), tooMany.text)
        let empty = try await gateway.call(.PUT, "/api/admin/clients/bulk", as: .session(w.adminA), json: ["clients": []])
        XCTAssertEqual(empty.status, 400)
        let missingId = try await gateway.call(.DELETE, "/api/admin/clients/bulk", as: .session(w.adminA),
                                               json: ["clients": [["plan": "x"]]])
        XCTAssertEqual(missingId.status, 400)

        let delete = try await gateway.call(.DELETE, "/api/admin/clients/bulk", as: .session(w.adminA),
                                            json: ["clients": [["id": .string(first)], ["id": .string(second)], ["id": .string(first)]]])
        XCTAssertEqual(delete.status, 200, delete.text)
        XCTAssertEqual(delete.json.string("message"), "Bulk delete completed: 2 successful, 1 failed")
        for id in [first, second] {
            let reply = try await gateway.call(.GET, "/api/admin/clients/\(id)", as: .session(w.adminA))
            XCTAssertEqual(reply.status, 404)
        }
    }

    /// Each admin write is answered once the stats projection counts it (the finding: a
    /// client created and then counted in the stats was missing for 6–43 ms).
    func testAWriteIsCountedInTheStatsWhenItIsAnswered() async throws {
        let w = try await world()
        let unique = UUID().uuidString.prefix(6).lowercased()
        for index in 1...5 {
            let created = try await gateway.call(.POST, "/api/admin/clients", as: .session(w.adminB),
                                                 json: ["email": .string("counted\(index)-\(unique)@example.com"), "status": "trial"])
            XCTAssertEqual(created.status, 200, created.text)
            XCTAssertNil(created.headers["X-Consistency"])
            let reply = try await gateway.call(.GET, "/api/admin/clients/stats", as: .session(w.adminB))
            XCTAssertEqual(reply.json["data"]?["overview"]?.int("trialClients"), Int64(index),
                           "the stats right after create \(index)")
        }
    }

    func testStatsAndDashboardCoverTheCallersCompanies() async throws {
        let w = try await world()
        let unique = UUID().uuidString.prefix(6).lowercased()
        for (index, plan) in ["free", "standard", "premium", "premium"].enumerated() {
            _ = try await create(w.adminB, ["email": .string("s\(index)-\(unique)@example.com"), "plan": .string(plan),
                                            "status": index == 0 ? "trial" : "active",
                                            "location": "Paris, France", "company": "Stat Co", "industry": "Stats"])
        }
        // The admin API's writes are answered once the stats show them too: no waiting here.
        let reply = try await gateway.call(.GET, "/api/admin/clients/stats", as: .session(w.adminB))
        XCTAssertEqual(reply.status, 200, reply.text)
        let stats = try XCTUnwrap(reply.json["data"])
        let overview = try XCTUnwrap(stats["overview"])
        XCTAssertEqual(overview.int("totalClients"), 4)
        XCTAssertEqual(overview.int("activeClients"), 3)
        XCTAssertEqual(overview.int("trialClients"), 1)
        let plans = try XCTUnwrap(stats["plans"])
        XCTAssertEqual(plans.int("premium"), 2)
        XCTAssertEqual(plans.number("conversionRate"), 75)
        XCTAssertEqual(stats["growth"]?.int("newClientsToday"), 4)
        let countries = try XCTUnwrap(stats["demographics"]?["topCountries"]?.arrayValue)
        XCTAssertEqual(countries.first?.string("country"), "France")
        XCTAssertEqual(countries.first?.int("count"), 4)

        let dashboard = try await gateway.call(.GET, "/api/admin/clients/dashboard?limit=2&createdAfter=2020-01-01", as: .session(w.adminB))
        XCTAssertEqual(dashboard.status, 200, dashboard.text)
        XCTAssertEqual(dashboard.json["data"]?["clients"]?.arrayValue?.count, 2)
        XCTAssertEqual(dashboard.json["data"]?["pagination"]?.int("totalPages"), 2)
        XCTAssertEqual(dashboard.json["data"]?["stats"]?["overview"]?.int("totalClients"), 4)
    }
}
