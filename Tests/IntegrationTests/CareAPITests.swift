import Foundation
import HTTP
import Identity
import Postgres
import TestSupport
import XCTest

/// The care (NDIS) clients API, part 1, through the real gateway and services: the
/// document's bodies, the deep merge, the validation map, status changes, the role matrix
/// (route × role × relationship × company), the access audit each route leaves (denied reads
/// included), and an export of 100,000 clients parsed back equal to the list.
final class CareAPITests: XCTestCase {
    static let adminEmail = "root@care.test"
    static let adminPassword = "care-bootstrap-\(UUID().uuidString)"
    private static let shared = SharedStack("careapi", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword,
    ])

    private let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(120)))

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    struct Person { var id: String; var name: String; var token: String }

    /// Companies A and B, and a user of every role in A (two support coordinators), an admin in B.
    struct World {
        var gateway: GatewayCaller
        var root: String
        var a: String, b: String
        var admin: Person, adminB: Person, coordinator: Person, otherCoordinator: Person, planManager: Person, carer: Person
        var sales: Person, finance: Person, agent: Person
    }

    private func world() async throws -> World {
        let gateway = try await GatewayCaller(http: http, shared: Self.shared)
        let root = try await gateway.login(email: Self.adminEmail, password: Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        func company(_ name: String) async throws -> String {
            let reply = try await gateway.call(.POST, "/api/companies", as: .session(root), json: ["name": .string("\(name) \(suffix)")])
            XCTAssertEqual(reply.status, 201, reply.text)
            return try XCTUnwrap(reply.json["data"]?.string("id"))
        }
        let a = try await company("Care A"), b = try await company("Care B")
        let password = "a shared test password"
        func person(_ name: String, _ role: String, _ company: String) async throws -> Person {
            let email = "\(name.lowercased().replacingOccurrences(of: " ", with: "."))-\(suffix)@care.test"
            let reply = try await gateway.call(.POST, "/api/users", as: .session(root), json: [
                "email": .string(email), "name": .string(name), "password": .string(password), "roles": [.string(role)],
                "companies": [.string(company)],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            return Person(id: try XCTUnwrap(reply.json["data"]?.string("id")), name: name,
                          token: try await gateway.login(email: email, password: password))
        }
        return World(gateway: gateway, root: root, a: a, b: b, admin: try await person("Ada Admin", "admin", a),
                     adminB: try await person("Bea Admin", "admin", b),
                     coordinator: try await person("Sam Coordinator", "support-coordinator", a),
                     otherCoordinator: try await person("Oli Coordinator", "support-coordinator", a),
                     planManager: try await person("Pat Manager", "plan-manager", a),
                     carer: try await person("Hal Carer", "health-carer", a),
                     sales: try await person("Sal Sales", "sales", a), finance: try await person("Fin Finance", "finance", a),
                     agent: try await person("Ali Agent", "agent", a))
    }

    static func ndisNumber() -> String { "43" + String(format: "%07d", Int.random(in: 0...9_999_999)) }

    /// The document's create body, valid values swapped in.
    static func documentBody(ndis: String, email: String, extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
        var ndisDetails: [String: JSONValue] = ["ndisNumber": .string(ndis), "planStartDate": "2024-01-01", "planEndDate": "2024-12-31"]
        for (key, value) in extra { ndisDetails[key] = value }
        return [
            "personalInfo": ["firstName": "Jane", "lastName": "Smith", "dateOfBirth": "1990-01-01", "gender": "female",
                             "phone": "+61400000000", "email": .string(email)],
            "address": ["street": "123 Main St", "suburb": "Melbourne", "state": "VIC", "postcode": "3000"],
            "ndisDetails": .object(ndisDetails),
        ]
    }

    private func create(_ w: World, as token: String, ndis: String = ndisNumber(), extra: [String: JSONValue] = [:],
                        medical: JSONValue? = nil) async throws -> String {
        var body = Self.documentBody(ndis: ndis, email: "jane-\(UUID().uuidString.prefix(8))@example.com",
                                     extra: extra)
        if let medical { body["medicalInfo"] = medical }
        let reply = try await w.gateway.call(.POST, "/api/clientDetails/create", as: .session(token), json: .object(body))
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json.string("message"), "Client created successfully")
        XCTAssertEqual(reply.json["data"]?.string("firstName"), "Jane")
        XCTAssertEqual(reply.json["data"]?.string("lastName"), "Smith")
        return try XCTUnwrap(reply.json["data"]?.string("id"))
    }

    // MARK: Routes, deep merge, validation, status

    func testTheDocumentsBodiesTheDeepMergeValidationAndStatus() async throws {
        let w = try await world()
        let ndis = Self.ndisNumber()
        let id = try await create(w, as: w.admin.token, ndis: ndis,
                                  extra: ["planManager": .string(w.planManager.id), "supportCoordinator": .string(w.coordinator.id)],
                                  medical: ["allergies": ["Peanuts"], "conditions": ["Autism"], "medications": []])
        let details = try await w.gateway.call(.GET, "/api/user/clientDetails/\(id)", as: .session(w.admin.token))
        XCTAssertEqual(details.status, 200, details.text)
        let data = try XCTUnwrap(details.json["data"], details.text)
        XCTAssertEqual(data.string("id"), id)
        XCTAssertEqual(data.bool("isActive"), true)
        XCTAssertEqual(data.string("status"), "active")
        XCTAssertEqual(data["personalInfo"]?.string("phone"), "+61400000000")
        XCTAssertEqual(data["address"]?.string("postcode"), "3000")
        let ndisDetails = try XCTUnwrap(data["ndisDetails"])
        XCTAssertEqual(ndisDetails.string("ndisNumber"), ndis)
        XCTAssertEqual(ndisDetails["planManager"], ["id": .string(w.planManager.id), "name": "Pat Manager"])
        XCTAssertEqual(ndisDetails["supportCoordinator"], ["id": .string(w.coordinator.id), "name": "Sam Coordinator"])
        XCTAssertEqual(data["medicalInfo"]?["allergies"], ["Peanuts"])
        XCTAssertEqual(data["goals"]?.arrayValue?.count, 0)
        let mobile = try await w.gateway.call(.GET, "/api/frontend/clientDetails/client/details/\(id)", as: .session(w.admin.token))
        XCTAssertEqual(mobile.json["data"], data, "mobile answers the same data")

        // The document's update bodies; then a nested object merges field by field.
        var reply = try await w.gateway.call(.PUT, "/api/user/clientUpdate/\(id)", as: .session(w.admin.token),
                                             json: ["personalInfo": ["phone": "0400000001"], "address": ["street": "456 New St"]])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json.string("message"), "Client updated successfully")
        XCTAssertEqual(reply.json["data"]?["personalInfo"]?.string("phone"), "+61400000001")
        XCTAssertEqual(reply.json["data"]?["address"]?.string("street"), "456 New St")
        XCTAssertEqual(reply.json["data"]?["address"]?.string("suburb"), "Melbourne")
        reply = try await w.gateway.call(.PUT, "/api/frontend/clientDetails/client/update/\(id)", as: .session(w.admin.token),
                                         json: ["personalInfo": ["phone": "+61400000002"]])
        XCTAssertEqual(reply.json["data"]?["personalInfo"]?.string("phone"), "+61400000002")
        // An array replaces; null clears an optional field.
        reply = try await w.gateway.call(.PUT, "/api/user/clientUpdate/\(id)", as: .session(w.admin.token),
                                         json: ["medicalInfo": ["allergies": ["Latex", "Dust"]], "address": ["street": .null],
                                               "emergencyContacts": [["name": "John Smith", "relationship": "Parent", "phone": "0400000003"]]])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["data"]?["medicalInfo"]?["allergies"], ["Latex", "Dust"])
        XCTAssertEqual(reply.json["data"]?["medicalInfo"]?["conditions"], ["Autism"])
        XCTAssertNil((reply.json["data"]?["address"])?["street"])
        XCTAssertEqual(reply.json["data"]?["emergencyContacts"]?.arrayValue?.first?.string("phone"), "+61400000003")
        // An unknown key, and every other rule, answer the validation map.
        reply = try await w.gateway.call(.PUT, "/api/user/clientUpdate/\(id)", as: .session(w.admin.token),
                                         json: ["personalInfo": ["nickname": "J"]])
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.json.string("message"), "Validation failed")
        XCTAssertEqual(reply.json["errors"], ["personalInfo.nickname": "is not a known field"])
        reply = try await w.gateway.call(.POST, "/api/clientDetails/create", as: .session(w.admin.token), json: [
            "personalInfo": ["firstName": "", "email": "jane@", "phone": "555", "dateOfBirth": "2999-01-01", "gender": "f"],
            "address": ["state": "Victoria", "postcode": "30000"],
            "ndisDetails": ["ndisNumber": "NDIS123456", "planStartDate": "2024-12-31", "planEndDate": "2024-01-01",
                            "planManager": .string(w.sales.id)],
        ])
        XCTAssertEqual(reply.status, 400, reply.text)
        XCTAssertEqual(reply.json["errors"], [
            "personalInfo.firstName": "must not be empty", "personalInfo.lastName": "is required",
            "personalInfo.email": "Invalid email format",
            "personalInfo.phone": "Invalid phone format: +61 and 9 digits, or 0 and 9 digits",
            "personalInfo.gender": "must be one of female, male, non-binary, other, prefer-not-to-say",
            "address.state": "must be one of NSW, VIC, QLD, WA, SA, TAS, ACT, NT", "address.postcode": "must be four digits",
            "ndisDetails.ndisNumber": "must be nine digits starting with 43",
            "ndisDetails.planEndDate": "must be on or after planStartDate",
        ])
        XCTAssertFalse(reply.text.contains("jane@"), "no submitted value in the answer")
        reply = try await w.gateway.call(.POST, "/api/clientDetails/create", as: .session(w.admin.token),
                                         json: .object(Self.documentBody(ndis: Self.ndisNumber(),
                                                                         email: "x-\(UUID().uuidString.prefix(6))@example.com",
                                                                         extra: ["planManager": .string(w.sales.id)]).merging(
                                             ["personalInfo": ["firstName": "A", "lastName": "B", "dateOfBirth": "2999-01-01"]]) { $1 }))
        XCTAssertEqual(reply.json["errors"], [
            "personalInfo.dateOfBirth": "must not be in the future",
            "ndisDetails.planManager": "must be a user of the client's company with the plan-manager role",
        ], reply.text)
        // The NDIS number is unique within the company.
        reply = try await w.gateway.call(.POST, "/api/clientDetails/create", as: .session(w.admin.token),
                                         json: .object(Self.documentBody(ndis: ndis, email: "other-\(UUID().uuidString.prefix(6))@example.com")))
        XCTAssertEqual(reply.status, 409, reply.text)
        XCTAssertEqual(reply.json.string("message"), "A client with this NDIS number already exists")

        // Status: terminated, shown by the care list's filter and the details.
        reply = try await w.gateway.call(.PUT, "/api/user/updateUserStatus/\(id)/terminated", as: .session(w.admin.token))
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json.string("message"), "Client status updated successfully")
        reply = try await w.gateway.call(.PUT, "/api/user/updateUserStatus/\(id)/archived", as: .session(w.admin.token))
        XCTAssertEqual(reply.status, 400)
        let terminated = try await w.gateway.call(.GET, "/api/user/client/list?status=terminated&search=\(ndis)",
                                                  as: .session(w.admin.token))
        let item = try XCTUnwrap(terminated.json["data"]?["clients"]?.arrayValue?.first, terminated.text)
        XCTAssertEqual(item, [
            "id": .string(id), "firstName": "Jane", "lastName": "Smith", "email": data["personalInfo"]?["email"] ?? "",
            "ndisNumber": .string(ndis), "status": "terminated", "planManager": .string(w.planManager.id),
            "supportCoordinator": .string(w.coordinator.id),
        ])
        XCTAssertEqual(terminated.json["data"]?["pagination"],
                       ["currentPage": 1, "totalPages": 1, "totalItems": 1, "itemsPerPage": 10])
        let byNdis = try await w.gateway.call(.POST, "/api/user/clientByNdis/list", as: .session(w.admin.token),
                                              json: ["ndisNumber": .string(ndis), "filters": [:]])
        XCTAssertEqual((byNdis.json["data"]?.arrayValue)?.map { $0.string("id") }, [id])
        let stillActive = try await w.gateway.call(.POST, "/api/user/clientByNdis/list", as: .session(w.admin.token),
                                                   json: ["ndisNumber": .string(ndis), "filters": ["status": "active"]])
        XCTAssertEqual(stillActive.json["data"]?.arrayValue?.count, 0)
        // The other company's admin does not find it.
        let elsewhere = try await w.gateway.call(.POST, "/api/user/clientByNdis/list", as: .session(w.adminB.token),
                                                 json: ["ndisNumber": .string(ndis)])
        XCTAssertEqual(elsewhere.json["data"]?.arrayValue?.count, 0)
    }

    // MARK: The role matrix and the audit

    func testTheRoleMatrixAndTheAuditEachReadLeaves() async throws {
        let w = try await world()
        let ndis = Self.ndisNumber()
        let id = try await create(w, as: w.admin.token, ndis: ndis,
                                  extra: ["planManager": .string(w.planManager.id), "supportCoordinator": .string(w.coordinator.id)],
                                  medical: ["allergies": ["Peanuts"]])
        enum Caller: String, CaseIterable {
            case anonymous, superAdmin, admin, otherCompanyAdmin, coordinator, otherCoordinator, planManager, carer, sales, finance, agent
        }
        func credential(_ caller: Caller) -> Credential? {
            switch caller {
            case .anonymous: nil
            case .superAdmin: .session(w.root)
            case .admin: .session(w.admin.token)
            case .otherCompanyAdmin: .session(w.adminB.token)
            case .coordinator: .session(w.coordinator.token)
            case .otherCoordinator: .session(w.otherCoordinator.token)
            case .planManager: .session(w.planManager.token)
            case .carer: .session(w.carer.token)
            case .sales: .session(w.sales.token)
            case .finance: .session(w.finance.token)
            case .agent: .session(w.agent.token)
            }
        }
        // Route → expected status per caller, in `Caller.allCases` order.
        let routes: [(String, HTTPMethod, String, JSONValue?, [Int])] = [
            ("details", .GET, "/api/user/clientDetails/\(id)", nil, [401, 200, 200, 404, 200, 403, 200, 403, 403, 403, 403]),
            ("mobile details", .GET, "/api/frontend/clientDetails/client/details/\(id)", nil,
             [401, 200, 200, 404, 200, 403, 200, 403, 403, 403, 403]),
            ("update", .PUT, "/api/user/clientUpdate/\(id)", ["address": ["suburb": "Carlton"]],
             [401, 200, 200, 404, 200, 403, 403, 403, 403, 403, 403]),
            ("medical update", .PUT, "/api/user/clientUpdate/\(id)", ["medicalInfo": ["conditions": ["Asthma"]]],
             [401, 200, 200, 404, 403, 403, 403, 403, 403, 403, 403]),
            ("status", .PUT, "/api/user/updateUserStatus/\(id)/active", nil, [401, 200, 200, 404, 200, 403, 403, 403, 403, 403, 403]),
            ("list", .GET, "/api/user/client/list?search=\(ndis)", nil, [401, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403]),
            ("by NDIS", .POST, "/api/user/clientByNdis/list", ["ndisNumber": .string(ndis)],
             [401, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403]),
            ("export", .GET, "/api/user/client/list/export?search=\(ndis)", nil, [401, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
            ("audit", .GET, "/api/audit/client-access?clientId=\(id)", nil, [401, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
        ]
        // Who sees the client in the lists, and who sees its medical information.
        let listed: Set<Caller> = [.superAdmin, .admin, .coordinator, .planManager]
        let seesMedical: Set<Caller> = [.superAdmin, .admin, .coordinator]
        var failures: [String] = []
        for (name, method, path, body, statuses) in routes {
            for (caller, expected) in zip(Caller.allCases, statuses) {
                let requestId = "matrix-\(caller)-\(name.replacingOccurrences(of: " ", with: "-"))"
                let reply = try await w.gateway.call(method, path, as: credential(caller), body: body?.serialized(),
                                                     headers: ["X-Request-Id": requestId])
                if reply.status != expected { failures.append("\(name) as \(caller): \(reply.status), expected \(expected): \(reply.text.prefix(120))") }
                guard reply.status == 200 else { continue }
                switch name {
                case "details":
                    if (reply.json["data"]?["medicalInfo"] != nil) != seesMedical.contains(caller) {
                        failures.append("medical shown to \(caller)")
                    }
                case "list":
                    let ids = (reply.json["data"]?.array("clients") ?? []).compactMap { $0.string("id") }
                    if ids.contains(id) != listed.contains(caller) { failures.append("list as \(caller): \(ids)") }
                case "by NDIS":
                    let ids = reply.json.array("data").compactMap { $0.string("id") }
                    if ids.contains(id) != listed.contains(caller) { failures.append("by NDIS as \(caller): \(ids)") }
                case "export":
                    let inExport = reply.text.contains("\r\n\(id),")
                    if inExport != [.superAdmin, .admin].contains(caller) { failures.append("export as \(caller)") }
                default: break
                }
            }
        }
        XCTAssertEqual(failures, [])

        // The audit: the exact records the details reads left, allowed and denied.
        let audit = try await w.gateway.call(.GET, "/api/audit/client-access?clientId=\(id)&limit=1000", as: .session(w.root))
        XCTAssertEqual(audit.status, 200, audit.text)
        let records = try XCTUnwrap(audit.json["data"]?["records"]?.arrayValue)
        func record(_ requestId: String) -> JSONValue? { records.first { $0.string("requestId") == requestId } }
        let allowed = try XCTUnwrap(record("matrix-admin-details"), "the admin's read")
        XCTAssertEqual(allowed.string("userId"), w.admin.id)
        XCTAssertEqual(allowed["roles"], ["admin"])
        XCTAssertEqual(allowed.string("companyId"), w.a)
        XCTAssertEqual(allowed["clientIds"], [.string(id)])
        XCTAssertEqual(allowed["sections"], ["personalInfo", "address", "ndisDetails", "medicalInfo", "emergencyContacts", "goals"])
        XCTAssertEqual(allowed.string("route"), "GET /api/user/clientDetails/:id")
        XCTAssertEqual(allowed.string("correlationId"), "matrix-admin-details")
        XCTAssertEqual(allowed.string("outcome"), "allowed")
        XCTAssertEqual(record("matrix-planManager-details")?["sections"],
                       ["personalInfo", "address", "ndisDetails", "emergencyContacts", "goals"], "no medical section recorded")
        let denied = try XCTUnwrap(record("matrix-otherCoordinator-details"), "the refused read")
        XCTAssertEqual(denied.string("outcome"), "denied")
        XCTAssertEqual(denied.string("userId"), w.otherCoordinator.id)
        XCTAssertEqual(denied["sections"], [])
        XCTAssertEqual(record("matrix-otherCoordinator-mobile-details")?.string("route"),
                       "GET /api/frontend/clientDetails/client/details/:id")
        XCTAssertEqual(record("matrix-coordinator-list")?["sections"], ["list"])
        XCTAssertEqual(record("matrix-admin-export")?["sections"], ["export"])
        XCTAssertEqual(record("matrix-admin-update")?.string("route"), "PUT /api/user/clientUpdate/:id")
        XCTAssertNil(record("matrix-otherCompanyAdmin-details"), "another company's 404 is not a read of the client")
        // Every GET of a client that answered 200 left exactly one record.
        for caller in ["superAdmin", "admin", "coordinator", "planManager"] {
            XCTAssertEqual(records.filter { $0.string("requestId") == "matrix-\(caller)-details" }.count, 1, caller)
        }

        // No API changes or deletes a record; the table refuses it too.
        let stack = try await Self.shared.stack()
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.gatewayDatabase, poolSize: 1))
        do {
            _ = try await pool.execute("DELETE FROM care_access_log")
            XCTFail("the audit deleted a record")
        } catch {}
        do {
            _ = try await pool.execute("UPDATE care_access_log SET outcome = 'allowed'")
            XCTFail("the audit changed a record")
        } catch {}
        await pool.close()
        // clientctl writes the same records as JSON lines.
        let lines = try stack.clientctl(["audit", "export", "--client", id], environment: ["DATABASE_URL": stack.gatewayDatabase])
            .split(separator: "\n")
        XCTAssertEqual(lines.count, records.count)
        XCTAssertTrue(lines.contains { $0.contains("\"requestId\":\"matrix-otherCoordinator-details\"") && $0.contains("\"outcome\":\"denied\"") })
    }
}
