import Foundation
import HTTP
import TestSupport
import XCTest

/// Input that used to be accepted and then stopped a projection for every company (a name of
/// one character and 6 KB, a NUL), or that an API mishandled (a LIKE wildcard before a
/// combining mark, `displayName: null` on create): each is now refused with a 400 naming
/// the field, in the face's own error shape, or handled as documented.
final class HostileInputTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    /// "a" and 3,000 combining marks drawn (by a fixed linear congruential sequence) from both
    /// blocks, U+0300–U+036F (2 bytes each) and U+1DC0–U+1DFF (3 bytes each): 1 character and
    /// about 7.5 KB of UTF-8 that PostgreSQL cannot compress under its B-tree entry limit.
    static let markedName: String = {
        var state: UInt32 = 12_345
        var marks = String.UnicodeScalarView()
        for _ in 0..<3_000 {
            state = state &* 1_103_515_245 &+ 12_345
            let pick = (state >> 16) % 176
            marks.append(Unicode.Scalar(pick < 112 ? 0x0300 + pick : 0x1DC0 + pick - 112)!)
        }
        return "a" + String(marks)
    }()

    private func unique() -> String { UUID().uuidString.prefix(10).lowercased() }

    /// The fields a 400 names: the organization and identity APIs' `details`, the leads and
    /// admin APIs' `errors`.
    private func namedFields(_ reply: GatewayReply) -> [String] {
        guard case .array(let items)? = reply.json["details"] ?? reply.json["errors"] else { return [] }
        return items.compactMap { if case .string(let field)? = $0["field"] { field } else { nil } }
    }

    private func assertRefused(_ reply: GatewayReply, naming field: String, _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reply.status, 400, "\(what): \(reply.excerpt)", file: file, line: line)
        XCTAssertEqual(namedFields(reply), [field], "\(what): \(reply.excerpt)", file: file, line: line)
    }

    /// Creates a plain client through the organization API and waits until both projections
    /// show it: the search (a query finds it) and the stats (the company's total reaches `total`).
    private func assertProjectionsStillApply(_ faces: CompanyFaces, total: Int64,
                                             file: StaticString = #filePath, line: UInt = #line) async throws {
        let name = "After \(unique())"
        let created = try await faces.gateway.call(.POST, "/api/v1/clients", as: .apiKey(faces.apiKey), json: ["name": .string(name)])
        XCTAssertEqual(created.status, 201, created.excerpt, file: file, line: line)
        let found = try await faces.gateway.call(.GET, "/api/v1/clients?query=" + name.replacingOccurrences(of: " ", with: "%20"),
                                                 as: .apiKey(faces.apiKey))
        XCTAssertEqual(found.json["total"], .int(1), found.excerpt, file: file, line: line)
        _ = try await faces.stats { $0["overview"]?["totalClients"] == .int(total) }
    }

    func testACombiningMarkNameIsRefusedByEveryFace() async throws {
        let faces = try await CompanyFaces.make(http: http)
        XCTAssertEqual(Self.markedName.count, 1)
        XCTAssertGreaterThan(Self.markedName.utf8.count, 6_000)
        let v1 = try await faces.gateway.call(.POST, "/api/v1/clients", as: .apiKey(faces.apiKey), json: ["name": .string(Self.markedName)])
        assertRefused(v1, naming: "name", "organization create")
        let lead = try await faces.gateway.call(.POST, "/api/clients", as: .session(faces.admin), json: [
            "name": .string(Self.markedName), "email": .string("\(unique())@example.com"), "company": .int(faces.companyNumber),
        ])
        assertRefused(lead, naming: "name", "leads create")
        let admin = try await faces.gateway.call(.POST, "/api/admin/clients", as: .session(faces.admin), json: [
            "email": .string("\(unique())@example.com"), "displayName": .string(Self.markedName),
        ])
        assertRefused(admin, naming: "displayName", "admin create")
        // An update is refused too, and an agent's name.
        let plain = try await faces.gateway.call(.POST, "/api/v1/clients", as: .apiKey(faces.apiKey), json: ["name": "Plain"])
        XCTAssertEqual(plain.status, 201, plain.excerpt)
        guard case .string(let id)? = plain.json["data"]?["id"] else { return XCTFail(plain.excerpt) }
        let patch = try await faces.gateway.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(faces.apiKey),
                                                 json: ["name": .string(Self.markedName)])
        assertRefused(patch, naming: "name", "organization update")
        let agent = try await faces.gateway.call(.POST, "/api/clients", as: .session(faces.admin), json: [
            "name": "Lead", "email": .string("\(unique())@example.com"), "company": .int(faces.companyNumber),
            "agents": [["agentId": .int(faces.adminNumber), "agentName": .string(Self.markedName)]],
        ])
        assertRefused(agent, naming: "agents[0].agentName", "leads agent name")
        try await assertProjectionsStillApply(faces, total: 2)
    }

    func testNULAndOtherControlCharactersAreRefusedNamingTheField() async throws {
        let faces = try await CompanyFaces.make(http: http)
        let cases: [(String, HTTPMethod, String, JSONValue, String)] = [
            ("NUL in organization notes", .POST, "/api/v1/clients", ["name": "N", "notes": "before\u{0}after"], "notes"),
            ("NEL (C1) in an organization name", .POST, "/api/v1/clients", ["name": "Line\u{85}Break"], "name"),
            ("line feed in an organization name", .POST, "/api/v1/clients", ["name": "Two\nLines"], "name"),
            ("NUL in a lead's address", .POST, "/api/clients",
             ["name": "L", "email": .string("\(unique())@example.com"), "company": .int(faces.companyNumber), "address": "a\u{0}"],
             "address"),
            ("escape (C0) in a lead's source", .POST, "/api/clients",
             ["name": "L", "email": .string("\(unique())@example.com"), "company": .int(faces.companyNumber), "source": "\u{1B}[31m"],
             "source"),
            ("NUL in an admin client's bio", .POST, "/api/admin/clients",
             ["email": .string("\(unique())@example.com"), "bio": "\u{0}"], "bio"),
            ("DEL in an admin client's company", .POST, "/api/admin/clients",
             ["email": .string("\(unique())@example.com"), "company": "Acme\u{7F}"], "company"),
            ("a noncharacter in an admin client's job title", .POST, "/api/admin/clients",
             ["email": .string("\(unique())@example.com"), "jobTitle": "Chief \u{FFFE} Officer"], "jobTitle"),
            ("C1 in an admin client's email", .POST, "/api/admin/clients",
             ["email": .string("\(unique())\u{9B}@example.com")], "email"),
        ]
        for (what, method, path, body, field) in cases {
            let credential: Credential = path.hasPrefix("/api/v1") ? .apiKey(faces.apiKey) : .session(faces.admin)
            assertRefused(try await faces.gateway.call(method, path, as: credential, json: body), naming: field, what)
        }
        try await assertProjectionsStillApply(faces, total: 1)
    }

    func testSixKilobyteStatsKeysAreRefusedByTheAdminAPI() async throws {
        let faces = try await CompanyFaces.make(http: http)
        for field in ["company", "industry", "location"] {
            let created = try await faces.gateway.call(.POST, "/api/admin/clients", as: .session(faces.admin), json: [
                "email": .string("\(unique())@example.com"), field: .string(Self.markedName),
            ])
            assertRefused(created, naming: field, "create with a 6 KB \(field)")
        }
        let created = try await faces.gateway.call(.POST, "/api/admin/clients", as: .session(faces.admin),
                                                   json: ["email": .string("\(unique())@example.com")])
        XCTAssertEqual(created.status, 200, created.excerpt)
        guard case .string(let id)? = created.json["data"]?["id"] else { return XCTFail(created.excerpt) }
        let updated = try await faces.gateway.call(.PUT, "/api/admin/clients/\(id)", as: .session(faces.admin),
                                                   json: ["location": .string("Sydney, " + Self.markedName)])
        assertRefused(updated, naming: "location", "update with a 6 KB country")
        let bulk = try await faces.gateway.call(.PUT, "/api/admin/clients/bulk", as: .session(faces.admin), json: [
            "clients": [["id": .string(id), "industry": .string(Self.markedName)]],
        ])
        XCTAssertEqual(bulk.status, 200, bulk.excerpt)
        XCTAssertEqual(bulk.json["summary"]?["failed"], .int(1), bulk.excerpt)
        XCTAssertTrue(jsonText(bulk.json["errors"]).contains("industry"), bulk.excerpt)
        try await assertProjectionsStillApply(faces, total: 2)
    }

    func testAWildcardBeforeACombiningMarkIsSearchedLiterally() async throws {
        let faces = try await CompanyFaces.make(http: http)
        // A decomposed "José": its last character is "e" + U+0301.
        for name in ["Jose\u{301}", "Plain"] {
            let reply = try await faces.gateway.call(.POST, "/api/v1/clients", as: .apiKey(faces.apiKey), json: ["name": .string(name)])
            XCTAssertEqual(reply.status, 201, reply.excerpt)
        }
        // "%" + U+0301 and "_" + U+0301 are one character each to Swift; to LIKE they were a
        // wildcard before the mark, matching "José".
        for query in ["%25%CC%81", "_%CC%81", "%25"] {
            let found = try await faces.gateway.call(.GET, "/api/v1/clients?query=\(query)", as: .apiKey(faces.apiKey))
            XCTAssertEqual(found.status, 200, found.excerpt)
            XCTAssertEqual(found.json["total"], .int(0), "query \(query): \(found.excerpt)")
        }
        let literal = try await faces.gateway.call(.GET, "/api/v1/clients?query=e%CC%81", as: .apiKey(faces.apiKey))
        XCTAssertEqual(literal.json["total"], .int(1), literal.excerpt)
    }

    func testAdminCreateTakesNullAsNotGiven() async throws {
        let faces = try await CompanyFaces.make(http: http)
        let local = "null.\(unique())"
        let created = try await faces.gateway.call(.POST, "/api/admin/clients", as: .session(faces.admin), json: [
            "email": .string("\(local)@example.com"), "displayName": .null, "company": .null, "plan": .null,
        ])
        XCTAssertEqual(created.status, 200, created.excerpt)
        XCTAssertEqual(created.json["data"]?["displayName"], .string(local), created.excerpt)
        XCTAssertEqual(created.json["data"]?["plan"], "free", created.excerpt)
        guard case .string(let id)? = created.json["data"]?["id"] else { return XCTFail(created.excerpt) }
        // On update `null` still clears, and a display name cannot be cleared.
        let cleared = try await faces.gateway.call(.PUT, "/api/admin/clients/\(id)", as: .session(faces.admin),
                                                   json: ["displayName": .null])
        assertRefused(cleared, naming: "displayName", "clearing the display name")
    }

    func testIdentityNamesAndEmailsAreLimitedInBytes() async throws {
        let faces = try await CompanyFaces.make(http: http)
        let company = try await faces.gateway.call(.POST, "/api/companies", as: .session(faces.root),
                                                   json: ["name": .string(Self.markedName)])
        assertRefused(company, naming: "name", "company name")
        let user = try await faces.gateway.call(.POST, "/api/users", as: .session(faces.root), json: [
            "email": .string("\(unique())@input.test"), "name": .string(Self.markedName), "password": "an input test password",
            "roles": ["sales"], "companies": [.string(faces.companyId)],
        ])
        assertRefused(user, naming: "name", "user name")
        let nul = try await faces.gateway.call(.POST, "/api/companies", as: .session(faces.root), json: ["name": "Nul\u{0}Company"])
        assertRefused(nul, naming: "name", "company name with NUL")
    }

    func testMultiLineFieldsKeepLineFeedAndTabExactly() async throws {
        let faces = try await CompanyFaces.make(http: http)
        let notes = "First line\n\tindented, with \u{200F}a right-to-left mark and \u{1F469}\u{200D}\u{1F4BB}"
        let created = try await faces.gateway.call(.POST, "/api/v1/clients", as: .apiKey(faces.apiKey),
                                                   json: ["name": "Mul\u{301}ti", "notes": .string(notes)])
        XCTAssertEqual(created.status, 201, created.excerpt)
        guard case .string(let id)? = created.json["data"]?["id"] else { return XCTFail(created.excerpt) }
        let read = try await faces.gateway.call(.GET, "/api/v1/clients/\(id)", as: .apiKey(faces.apiKey))
        XCTAssertEqual(jsonText(read.json["data"]?["notes"]), jsonText(.string(notes)))
        XCTAssertEqual(jsonText(read.json["data"]?["name"]), jsonText(.string("Mul\u{301}ti")))
    }
}
