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

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private func call(_ method: HTTPMethod, _ path: String, as token: String?, body: Any? = nil,
                      requestId: String? = nil) async throws -> Reply {
        let stack = try await Self.shared.stack()
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let requestId { headers.add(name: "X-Request-Id", value: requestId) }
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
        let reply = try await call(.POST, "/api/auth/login", as: nil, body: ["email": email, "password": password])
        XCTAssertEqual(reply.status, 200, reply.text)
        return try XCTUnwrap(reply.json["token"] as? String)
    }

    struct Person { var id: String; var name: String; var token: String }

    /// Companies A and B, and a user of every role in A (two support coordinators), an admin in B.
    struct World {
        var root: String
        var a: String, b: String
        var admin: Person, adminB: Person, coordinator: Person, otherCoordinator: Person, planManager: Person, carer: Person
        var sales: Person, finance: Person, agent: Person
    }

    private func world() async throws -> World {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        func company(_ name: String) async throws -> String {
            let reply = try await call(.POST, "/api/companies", as: root, body: ["name": "\(name) \(suffix)"])
            XCTAssertEqual(reply.status, 201, reply.text)
            return try XCTUnwrap(reply.data["id"] as? String)
        }
        let a = try await company("Care A"), b = try await company("Care B")
        let password = "a shared test password"
        func person(_ name: String, _ role: String, _ company: String) async throws -> Person {
            let email = "\(name.lowercased().replacingOccurrences(of: " ", with: "."))-\(suffix)@care.test"
            let reply = try await call(.POST, "/api/users", as: root, body: [
                "email": email, "name": name, "password": password, "roles": [role], "companies": [company],
            ])
            XCTAssertEqual(reply.status, 201, reply.text)
            return Person(id: try XCTUnwrap(reply.data["id"] as? String), name: name, token: try await token(email, password))
        }
        return World(root: root, a: a, b: b, admin: try await person("Ada Admin", "admin", a),
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
    static func documentBody(ndis: String, email: String, extra: [String: Any] = [:]) -> [String: Any] {
        var ndisDetails: [String: Any] = ["ndisNumber": ndis, "planStartDate": "2024-01-01", "planEndDate": "2024-12-31"]
        for (key, value) in extra { ndisDetails[key] = value }
        return [
            "personalInfo": ["firstName": "Jane", "lastName": "Smith", "dateOfBirth": "1990-01-01", "gender": "female",
                             "phone": "+61400000000", "email": email],
            "address": ["street": "123 Main St", "suburb": "Melbourne", "state": "VIC", "postcode": "3000"],
            "ndisDetails": ndisDetails,
        ]
    }

    private func create(_ w: World, as token: String, ndis: String = ndisNumber(), extra: [String: Any] = [:],
                        medical: [String: Any]? = nil) async throws -> String {
        var body = Self.documentBody(ndis: ndis, email: "jane-\(UUID().uuidString.prefix(8))@example.com",
                                     extra: extra)
        if let medical { body["medicalInfo"] = medical }
        let reply = try await call(.POST, "/api/clientDetails/create", as: token, body: body)
        XCTAssertEqual(reply.status, 201, reply.text)
        XCTAssertEqual(reply.json["message"] as? String, "Client created successfully")
        XCTAssertEqual(reply.data["firstName"] as? String, "Jane")
        XCTAssertEqual(reply.data["lastName"] as? String, "Smith")
        return try XCTUnwrap(reply.data["id"] as? String)
    }

    // MARK: Routes, deep merge, validation, status

    func testTheDocumentsBodiesTheDeepMergeValidationAndStatus() async throws {
        let w = try await world()
        let ndis = Self.ndisNumber()
        let id = try await create(w, as: w.admin.token, ndis: ndis,
                                  extra: ["planManager": w.planManager.id, "supportCoordinator": w.coordinator.id],
                                  medical: ["allergies": ["Peanuts"], "conditions": ["Autism"], "medications": []])
        let details = try await call(.GET, "/api/user/clientDetails/\(id)", as: w.admin.token)
        XCTAssertEqual(details.status, 200, details.text)
        let data = details.data
        XCTAssertEqual(data["id"] as? String, id)
        XCTAssertEqual(data["isActive"] as? Bool, true)
        XCTAssertEqual(data["status"] as? String, "active")
        XCTAssertEqual((data["personalInfo"] as? [String: Any])?["phone"] as? String, "+61400000000")
        XCTAssertEqual((data["address"] as? [String: Any])?["postcode"] as? String, "3000")
        let ndisDetails = try XCTUnwrap(data["ndisDetails"] as? [String: Any])
        XCTAssertEqual(ndisDetails["ndisNumber"] as? String, ndis)
        XCTAssertEqual(ndisDetails["planManager"] as? [String: String], ["id": w.planManager.id, "name": "Pat Manager"])
        XCTAssertEqual(ndisDetails["supportCoordinator"] as? [String: String], ["id": w.coordinator.id, "name": "Sam Coordinator"])
        XCTAssertEqual((data["medicalInfo"] as? [String: Any])?["allergies"] as? [String], ["Peanuts"])
        XCTAssertEqual((data["goals"] as? [Any])?.count, 0)
        let mobile = try await call(.GET, "/api/frontend/clientDetails/client/details/\(id)", as: w.admin.token)
        XCTAssertEqual(mobile.data as NSDictionary, data as NSDictionary, "mobile answers the same data")

        // The document's update bodies; then a nested object merges field by field.
        var reply = try await call(.PUT, "/api/user/clientUpdate/\(id)", as: w.admin.token,
                                   body: ["personalInfo": ["phone": "0400000001"], "address": ["street": "456 New St"]])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["message"] as? String, "Client updated successfully")
        XCTAssertEqual((reply.data["personalInfo"] as? [String: Any])?["phone"] as? String, "+61400000001")
        XCTAssertEqual((reply.data["address"] as? [String: Any])?["street"] as? String, "456 New St")
        XCTAssertEqual((reply.data["address"] as? [String: Any])?["suburb"] as? String, "Melbourne")
        reply = try await call(.PUT, "/api/frontend/clientDetails/client/update/\(id)", as: w.admin.token,
                               body: ["personalInfo": ["phone": "+61400000002"]])
        XCTAssertEqual((reply.data["personalInfo"] as? [String: Any])?["phone"] as? String, "+61400000002")
        // An array replaces; null clears an optional field.
        reply = try await call(.PUT, "/api/user/clientUpdate/\(id)", as: w.admin.token,
                               body: ["medicalInfo": ["allergies": ["Latex", "Dust"]], "address": ["street": NSNull()],
                                      "emergencyContacts": [["name": "John Smith", "relationship": "Parent", "phone": "0400000003"]]])
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual((reply.data["medicalInfo"] as? [String: Any])?["allergies"] as? [String], ["Latex", "Dust"])
        XCTAssertEqual((reply.data["medicalInfo"] as? [String: Any])?["conditions"] as? [String], ["Autism"])
        XCTAssertNil((reply.data["address"] as? [String: Any])?["street"])
        XCTAssertEqual(((reply.data["emergencyContacts"] as? [[String: Any]])?.first)?["phone"] as? String, "+61400000003")
        // An unknown key, and every other rule, answer the validation map.
        reply = try await call(.PUT, "/api/user/clientUpdate/\(id)", as: w.admin.token, body: ["personalInfo": ["nickname": "J"]])
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.json["message"] as? String, "Validation failed")
        XCTAssertEqual(reply.json["errors"] as? [String: String], ["personalInfo.nickname": "is not a known field"])
        reply = try await call(.POST, "/api/clientDetails/create", as: w.admin.token, body: [
            "personalInfo": ["firstName": "", "email": "jane@", "phone": "555", "dateOfBirth": "2999-01-01", "gender": "f"],
            "address": ["state": "Victoria", "postcode": "30000"],
            "ndisDetails": ["ndisNumber": "NDIS123456", "planStartDate": "2024-12-31", "planEndDate": "2024-01-01",
                            "planManager": w.sales.id],
        ])
        XCTAssertEqual(reply.status, 400, reply.text)
        XCTAssertEqual(reply.json["errors"] as? [String: String], [
            "personalInfo.firstName": "must not be empty", "personalInfo.lastName": "is required",
            "personalInfo.email": "Invalid email format",
            "personalInfo.phone": "Invalid phone format: +61 and 9 digits, or 0 and 9 digits",
            "personalInfo.gender": "must be one of female, male, non-binary, other, prefer-not-to-say",
            "address.state": "must be one of NSW, VIC, QLD, WA, SA, TAS, ACT, NT", "address.postcode": "must be four digits",
            "ndisDetails.ndisNumber": "must be nine digits starting with 43",
            "ndisDetails.planEndDate": "must be on or after planStartDate",
        ])
        XCTAssertFalse(reply.text.contains("jane@"), "no submitted value in the answer")
        reply = try await call(.POST, "/api/clientDetails/create", as: w.admin.token,
                               body: Self.documentBody(ndis: Self.ndisNumber(), email: "x-\(UUID().uuidString.prefix(6))@example.com",
                                                       extra: ["planManager": w.sales.id]).merging(
                                   ["personalInfo": ["firstName": "A", "lastName": "B", "dateOfBirth": "2999-01-01"]]) { $1 })
        XCTAssertEqual(reply.json["errors"] as? [String: String], [
            "personalInfo.dateOfBirth": "must not be in the future",
            "ndisDetails.planManager": "must be a user of the client's company with the plan-manager role",
        ], reply.text)
        // The NDIS number is unique within the company.
        reply = try await call(.POST, "/api/clientDetails/create", as: w.admin.token,
                               body: Self.documentBody(ndis: ndis, email: "other-\(UUID().uuidString.prefix(6))@example.com"))
        XCTAssertEqual(reply.status, 409, reply.text)
        XCTAssertEqual(reply.json["message"] as? String, "A client with this NDIS number already exists")

        // Status: terminated, shown by the care list's filter and the details.
        reply = try await call(.PUT, "/api/user/updateUserStatus/\(id)/terminated", as: w.admin.token)
        XCTAssertEqual(reply.status, 200, reply.text)
        XCTAssertEqual(reply.json["message"] as? String, "Client status updated successfully")
        reply = try await call(.PUT, "/api/user/updateUserStatus/\(id)/archived", as: w.admin.token)
        XCTAssertEqual(reply.status, 400)
        let terminated = try await call(.GET, "/api/user/client/list?status=terminated&search=\(ndis)", as: w.admin.token)
        let item = try XCTUnwrap((terminated.data["clients"] as? [[String: Any]])?.first, terminated.text)
        XCTAssertEqual(item as NSDictionary, [
            "id": id, "firstName": "Jane", "lastName": "Smith", "email": (data["personalInfo"] as? [String: Any])?["email"] ?? "",
            "ndisNumber": ndis, "status": "terminated", "planManager": w.planManager.id, "supportCoordinator": w.coordinator.id,
        ] as NSDictionary)
        XCTAssertEqual(terminated.data["pagination"] as? [String: Int],
                       ["currentPage": 1, "totalPages": 1, "totalItems": 1, "itemsPerPage": 10])
        let byNdis = try await call(.POST, "/api/user/clientByNdis/list", as: w.admin.token, body: ["ndisNumber": ndis, "filters": [:]])
        XCTAssertEqual((byNdis.json["data"] as? [[String: Any]])?.map { $0["id"] as? String }, [id])
        let stillActive = try await call(.POST, "/api/user/clientByNdis/list", as: w.admin.token,
                                         body: ["ndisNumber": ndis, "filters": ["status": "active"]])
        XCTAssertEqual((stillActive.json["data"] as? [Any])?.count, 0)
        // The other company's admin does not find it.
        let elsewhere = try await call(.POST, "/api/user/clientByNdis/list", as: w.adminB.token, body: ["ndisNumber": ndis])
        XCTAssertEqual((elsewhere.json["data"] as? [Any])?.count, 0)
    }

    // MARK: The role matrix and the audit

    func testTheRoleMatrixAndTheAuditEachReadLeaves() async throws {
        let w = try await world()
        let ndis = Self.ndisNumber()
        let id = try await create(w, as: w.admin.token, ndis: ndis,
                                  extra: ["planManager": w.planManager.id, "supportCoordinator": w.coordinator.id],
                                  medical: ["allergies": ["Peanuts"]])
        enum Caller: String, CaseIterable {
            case anonymous, superAdmin, admin, otherCompanyAdmin, coordinator, otherCoordinator, planManager, carer, sales, finance, agent
        }
        func token(_ caller: Caller) -> String? {
            switch caller {
            case .anonymous: nil
            case .superAdmin: w.root
            case .admin: w.admin.token
            case .otherCompanyAdmin: w.adminB.token
            case .coordinator: w.coordinator.token
            case .otherCoordinator: w.otherCoordinator.token
            case .planManager: w.planManager.token
            case .carer: w.carer.token
            case .sales: w.sales.token
            case .finance: w.finance.token
            case .agent: w.agent.token
            }
        }
        // Route → expected status per caller, in `Caller.allCases` order.
        let routes: [(String, HTTPMethod, String, Any?, [Int])] = [
            ("details", .GET, "/api/user/clientDetails/\(id)", nil, [401, 200, 200, 404, 200, 403, 200, 403, 403, 403, 403]),
            ("mobile details", .GET, "/api/frontend/clientDetails/client/details/\(id)", nil,
             [401, 200, 200, 404, 200, 403, 200, 403, 403, 403, 403]),
            ("update", .PUT, "/api/user/clientUpdate/\(id)", ["address": ["suburb": "Carlton"]],
             [401, 200, 200, 404, 200, 403, 403, 403, 403, 403, 403]),
            ("medical update", .PUT, "/api/user/clientUpdate/\(id)", ["medicalInfo": ["conditions": ["Asthma"]]],
             [401, 200, 200, 404, 403, 403, 403, 403, 403, 403, 403]),
            ("status", .PUT, "/api/user/updateUserStatus/\(id)/active", nil, [401, 200, 200, 404, 200, 403, 403, 403, 403, 403, 403]),
            ("list", .GET, "/api/user/client/list?search=\(ndis)", nil, [401, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403]),
            ("by NDIS", .POST, "/api/user/clientByNdis/list", ["ndisNumber": ndis], [401, 200, 200, 200, 200, 200, 200, 200, 403, 403, 403]),
            ("export", .GET, "/api/user/client/list/export?search=\(ndis)", nil, [401, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
            ("audit", .GET, "/api/audit/client-access?clientId=\(id)", nil, [401, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403]),
        ]
        // Who sees the client in the lists, and who sees its medical information.
        let listed: Set<Caller> = [.superAdmin, .admin, .coordinator, .planManager]
        let seesMedical: Set<Caller> = [.superAdmin, .admin, .coordinator]
        var failures: [String] = []
        for (name, method, path, body, statuses) in routes {
            for (caller, expected) in zip(Caller.allCases, statuses) {
                let reply = try await call(method, path, as: token(caller), body: body, requestId: "matrix-\(caller)-\(name.replacingOccurrences(of: " ", with: "-"))")
                if reply.status != expected { failures.append("\(name) as \(caller): \(reply.status), expected \(expected): \(reply.text.prefix(120))") }
                guard reply.status == 200 else { continue }
                switch name {
                case "details":
                    if (reply.data["medicalInfo"] != nil) != seesMedical.contains(caller) { failures.append("medical shown to \(caller)") }
                case "list":
                    let ids = (reply.data["clients"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    if ids.contains(id) != listed.contains(caller) { failures.append("list as \(caller): \(ids)") }
                case "by NDIS":
                    let ids = (reply.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
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
        let audit = try await call(.GET, "/api/audit/client-access?clientId=\(id)&limit=1000", as: w.root)
        XCTAssertEqual(audit.status, 200, audit.text)
        let records = try XCTUnwrap(audit.data["records"] as? [[String: Any]])
        func record(_ requestId: String) -> [String: Any]? { records.first { $0["requestId"] as? String == requestId } }
        let allowed = try XCTUnwrap(record("matrix-admin-details"), "the admin's read")
        XCTAssertEqual(allowed["userId"] as? String, w.admin.id)
        XCTAssertEqual(allowed["roles"] as? [String], ["admin"])
        XCTAssertEqual(allowed["companyId"] as? String, w.a)
        XCTAssertEqual(allowed["clientIds"] as? [String], [id])
        XCTAssertEqual(allowed["sections"] as? [String], ["personalInfo", "address", "ndisDetails", "medicalInfo", "emergencyContacts", "goals"])
        XCTAssertEqual(allowed["route"] as? String, "GET /api/user/clientDetails/:id")
        XCTAssertEqual(allowed["correlationId"] as? String, "matrix-admin-details")
        XCTAssertEqual(allowed["outcome"] as? String, "allowed")
        XCTAssertEqual(record("matrix-planManager-details")?["sections"] as? [String],
                       ["personalInfo", "address", "ndisDetails", "emergencyContacts", "goals"], "no medical section recorded")
        let denied = try XCTUnwrap(record("matrix-otherCoordinator-details"), "the refused read")
        XCTAssertEqual(denied["outcome"] as? String, "denied")
        XCTAssertEqual(denied["userId"] as? String, w.otherCoordinator.id)
        XCTAssertEqual(denied["sections"] as? [String], [])
        XCTAssertEqual(record("matrix-otherCoordinator-mobile-details")?["route"] as? String,
                       "GET /api/frontend/clientDetails/client/details/:id")
        XCTAssertEqual(record("matrix-coordinator-list")?["sections"] as? [String], ["list"])
        XCTAssertEqual(record("matrix-admin-export")?["sections"] as? [String], ["export"])
        XCTAssertEqual(record("matrix-admin-update")?["route"] as? String, "PUT /api/user/clientUpdate/:id")
        XCTAssertNil(record("matrix-otherCompanyAdmin-details"), "another company's 404 is not a read of the client")
        // Every GET of a client that answered 200 left exactly one record.
        for caller in ["superAdmin", "admin", "coordinator", "planManager"] {
            XCTAssertEqual(records.filter { $0["requestId"] as? String == "matrix-\(caller)-details" }.count, 1, caller)
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
