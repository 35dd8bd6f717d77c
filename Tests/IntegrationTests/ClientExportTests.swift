import Foundation
import HTTP
import Identity
import Postgres
import TestSupport
import XCTest

/// A client's own-data export (APP 12), `GET /api/admin/clients/:id/export`, on the real stack:
/// a client made through the leads API, changed through the admin and workspace APIs, with a
/// care document, a goal, a medication and an appointment, and read through the care API.
///
/// The export's faces equal what each API's own `GET` answers, field by field; it lists the
/// document (no bytes), the care records as their routes show them, every change in order with
/// who and when, and the access log (ids only). Another company's admin gets 404, a caller
/// without `clients.export` 403, and a deleted client is 404 like in every API. The access
/// records and the services' log lines hold none of the client's personal data.
final class ClientExportTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    /// The access audit's record fields: ids, the action and its time, nothing of the client.
    static let accessRecordKeys: Set<String> = ["id", "at", "userId", "roles", "companyId", "clientIds", "sections", "route",
                                                "requestId", "correlationId", "outcome"]

    func testTheExportEqualsWhatEveryAPIShowsWithHistoryDocumentsAndAccessLog() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let faces = world.faces
        let admin = Credential.session(faces.admin)
        let suffix = String(UUID().uuidString.prefix(6).lowercased().filter(\.isLetter).prefix(4)) + "x"
        let name = "Edna Exporta\(suffix)", renamed = "Edna Renamedq\(suffix)"
        let email = "edna-\(suffix)-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let phone = "+61 400 \(Int.random(in: 100...999)) \(Int.random(in: 100...999))"
        let me = try await faces.gateway.call(.GET, "/api/auth/me", as: admin)
        let adminUserId = try XCTUnwrap(me.json["user"]?.string("id"), me.excerpt)

        // Made through the leads API, changed through the admin and the workspace APIs.
        let lead = try await faces.gateway.call(.POST, "/api/clients", as: admin, json: [
            "name": .string(name), "email": .string(email), "company": .int(faces.companyNumber),
        ])
        XCTAssertEqual(lead.status, 201, lead.excerpt)
        let number = try XCTUnwrap(lead.headers["Location"]?.split(separator: "/").last.map(String.init), lead.excerpt)
        let adminId = "client_\(number)"
        let put = try await faces.gateway.call(.PUT, "/api/admin/clients/\(adminId)", as: admin,
                                               json: ["jobTitle": "Archivist", "phone": .string(phone)])
        XCTAssertEqual(put.status, 200, put.excerpt)
        let uuid = try await clientUUID(world, named: name)
        let patch = try await world.call(.PATCH, "\(world.clients)/\(uuid)", json: ["name": .string(renamed)])
        XCTAssertEqual(patch.status, 200, patch.excerpt)

        // A care document, a goal, a medication and an appointment with a health carer.
        let file = Array("%PDF-1.7\nan export test plan \(suffix)\n".utf8)
        let upload = try await send(faces, .POST, "/api/document/upload", token: faces.admin,
                                    Multipart([.file("file", "plan-\(suffix).pdf", file), .field("clientId", number),
                                               .field("documentType", "ndis_plan")]))
        XCTAssertEqual(upload.status, 201, upload.excerpt)
        let documentId = try XCTUnwrap(upload.json["data"]?.string("id"), upload.excerpt)
        let goal = try await faces.gateway.call(.POST, "/api/goal/create", as: admin,
                                                json: ["clientId": .string(number), "title": "Walk to the shops", "targetDate": "2027-06-30"])
        XCTAssertEqual(goal.status, 201, goal.excerpt)
        let medication = try await faces.gateway.call(.POST, "/api/medication/create", as: admin, json: [
            "clientId": .string(number), "medicineName": "Medication A", "dose": "10mg", "frequency": "Daily",
            "startDate": "2026-01-01",
        ])
        XCTAssertEqual(medication.status, 201, medication.excerpt)
        let carer = try await user(faces, role: "health-carer")
        let appointment = try await faces.gateway.call(.POST, "/api/appointment/create", as: admin, json: [
            "clientId": .string(number), "healthCarerId": .string(carer), "date": "2027-03-01", "startTime": "09:00",
            "endTime": "10:00", "serviceType": "Support Work",
        ])
        XCTAssertEqual(appointment.status, 201, appointment.excerpt)

        // What each API shows now (a care read among them, which the access log records).
        let leadsGet = try await faces.gateway.call(.GET, "/api/clients/\(number)", as: admin)
        let adminGet = try await faces.gateway.call(.GET, "/api/admin/clients/\(adminId)", as: admin)
        let organizationGet = try await faces.gateway.call(.GET, "/api/v1/clients/\(uuid)", as: .apiKey(faces.apiKey))
        let workspaceGet = try await world.call(.GET, "\(world.clients)/\(uuid)")
        let careGet = try await faces.gateway.call(.GET, "/api/user/clientDetails/\(number)", as: admin)
        let goalsGet = try await faces.gateway.call(.GET, "/api/goal/client/\(number)", as: admin)
        let medicationsGet = try await faces.gateway.call(.GET, "/api/medication/client/\(number)", as: admin)
        let appointmentsGet = try await faces.gateway.call(.GET, "/api/appointment/appointmentListsClient/\(number)", as: admin)
        for reply in [leadsGet, adminGet, organizationGet, workspaceGet, careGet, goalsGet, medicationsGet, appointmentsGet] {
            XCTAssertEqual(reply.status, 200, reply.excerpt)
        }

        let export = try await faces.gateway.call(.GET, "/api/admin/clients/\(adminId)/export", as: admin)
        XCTAssertEqual(export.status, 200, export.excerpt)
        XCTAssertEqual(export.json["success"], true)
        XCTAssertEqual(export.headers["Content-Disposition"], "attachment; filename=\"\(adminId)-export.json\"")
        let data = try XCTUnwrap(export.json["data"], export.excerpt)
        XCTAssertEqual(data["client"]?.string("id"), uuid)
        XCTAssertEqual(data["client"]?.string("companyId"), faces.companyId)

        // Every face, field by field, as its own GET answers it.
        let expectedFaces: [(String, JSONValue?)] = [
            ("leads", leadsGet.json["leads"]), ("admin", adminGet.json["data"]), ("organization", organizationGet.json["data"]),
            ("workspace", workspaceGet.json["client"]), ("care", careGet.json["data"]),
        ]
        for (face, expected) in expectedFaces {
            guard case .object(let fields)? = expected else { return XCTFail("\(face): no object in its GET") }
            XCTAssertEqual(Set((data["faces"]?[face]?.objectValue ?? [:]).keys), Set(fields.keys), "\(face): the same fields")
            for (key, value) in fields {
                XCTAssertEqual(jsonText(data["faces"]?[face]?[key]), jsonText(value), "\(face).\(key)")
            }
        }
        XCTAssertEqual(data["faces"]?["workspace"]?.string("name"), renamed)
        XCTAssertEqual(data["faces"]?["admin"]?.string("jobTitle"), "Archivist")

        // The document listed (no bytes), the care records as their routes show them.
        let documents = data.array("documents")
        XCTAssertEqual(documents.count, 1, jsonText(data["documents"]))
        XCTAssertEqual(documents.first?.string("id"), documentId)
        XCTAssertEqual(documents.first?.string("name"), "plan-\(suffix).pdf")
        XCTAssertEqual(documents.first?.string("type"), "application/pdf")
        XCTAssertEqual(documents.first?["size"], .int(Int64(file.count)))
        XCTAssertNotNil(documents.first?.string("attachedAt"))
        XCTAssertEqual(jsonText(data["careRecords"]?["goals"]), jsonText(goalsGet.json["data"]))
        XCTAssertEqual(jsonText(data["careRecords"]?["medications"]), jsonText(medicationsGet.json["data"]))
        XCTAssertEqual(jsonText(data["careRecords"]?["appointments"]), jsonText(appointmentsGet.json["data"]))
        XCTAssertEqual(data["careRecords"]?["appointments"]?.arrayValue?.count, 1)

        // Every change, in order, with who and when.
        let events = data["history"]?.array("events") ?? []
        XCTAssertEqual(data["history"]?["truncated"], false)
        XCTAssertEqual(events.compactMap { $0.string("type") }, [
            "client.created", "client.profile_changed", "client.profile_changed", "client.document_attached",
            "client.goal_added", "client.medication_added", "client.appointment_added",
        ], jsonText(data["history"]))
        XCTAssertEqual(events.map { $0["version"] }, (1...Int64(events.count)).map { JSONValue.int($0) })
        for event in events {
            XCTAssertEqual(event["actor"], ["kind": "user", "id": .string(adminUserId)], jsonText(event))
        }
        let times = events.compactMap { $0.string("occurredAt") }
        XCTAssertEqual(times.count, events.count)
        XCTAssertEqual(times, times.sorted(), "oldest first")
        XCTAssertEqual(events.first?["changes"]?["profile"]?.string("name"), name)
        XCTAssertEqual(events.first?["changes"]?["profile"]?.string("email"), email)
        XCTAssertEqual(events[safe: 1]?["changes"]?["changes"]?.string("jobTitle"), "Archivist", jsonText(events[safe: 1]))
        XCTAssertEqual(events[safe: 2]?["changes"]?["changes"]?.string("name"), renamed, jsonText(events[safe: 2]))
        XCTAssertEqual(events[safe: 3]?["changes"]?["document"]?.string("id")?.lowercased(), documentId)

        // The access log: the care read and this export, ids only.
        let records = data["accessLog"]?.array("records") ?? []
        XCTAssertEqual(data["accessLog"]?["truncated"], false)
        let routes = records.compactMap { $0.string("route") }
        XCTAssertTrue(routes.contains("GET /api/user/clientDetails/:id"), "\(routes)")
        XCTAssertEqual(routes.last, "GET /api/admin/clients/:clientId/export", "the export records itself")
        for record in records {
            XCTAssertTrue(Set((record.objectValue ?? [:]).keys).isSubset(of: Self.accessRecordKeys), jsonText(record))
            XCTAssertEqual(record["clientIds"], [.string(number)])
            XCTAssertEqual(record.string("companyId"), faces.companyId)
            XCTAssertEqual(record.string("userId"), adminUserId)
        }

        // clientctl privacy export: the same document, into a file only its owner reads.
        let exportFile = try ProjectPaths.scratchDirectory("export").appendingPathComponent("\(adminId).json")
        let cli = try clientctl(faces, ["privacy", "export", number, "--output", exportFile.path], token: faces.admin)
        XCTAssertEqual(cli.status, 0, cli.standardError)
        let written = try JSONParser.parse(Array(try Data(contentsOf: exportFile)))
        for key in ["client", "faces", "documents", "careRecords", "history"] {
            XCTAssertEqual(jsonText(written[key]), jsonText(data[key]), "clientctl's \(key)")
        }
        XCTAssertEqual(written["accessLog"]?.array("records").count, records.count + 1, "clientctl's export is recorded too")
        let mode = try FileManager.default.attributesOfItem(atPath: exportFile.path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)

        // Access records and log lines hold ids, never the client's data.
        let personal = [name, renamed, email, phone, "plan-\(suffix).pdf"]
        let stack = try await CompanyFaces.stack.stack()
        let rows = try await accessRows(stack, number: number)
        XCTAssertFalse(rows.isEmpty)
        for row in rows {
            for text in personal { XCTAssertFalse(row.contains(text), "an access record holds \(text): \(row)") }
        }
        for service in stack.services {
            for line in service.logLines() {
                let text = line.values.joined(separator: " ")
                for value in personal { XCTAssertFalse(text.contains(value), "\(service.name) logged \(value): \(line)") }
            }
        }
    }

    func testAnotherCompanyGets404ACallerWithoutThePermission403AndADeletedClient404() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        let faces = world.faces
        let admin = Credential.session(faces.admin)
        let lead = try await faces.gateway.call(.POST, "/api/clients", as: admin, json: [
            "name": "Otto Outsider", "email": .string("otto-\(UUID().uuidString.prefix(8).lowercased())@example.com"),
            "company": .int(faces.companyNumber),
        ])
        XCTAssertEqual(lead.status, 201, lead.excerpt)
        let number = try XCTUnwrap(lead.headers["Location"]?.split(separator: "/").last.map(String.init))
        let path = "/api/admin/clients/client_\(number)/export"

        let own = try await faces.gateway.call(.GET, path, as: admin)
        XCTAssertEqual(own.status, 200, own.excerpt)
        let outsider = try await faces.gateway.call(.GET, path, as: .session(try XCTUnwrap(world.tokens["outsider"])))
        XCTAssertEqual(outsider.status, 404, outsider.excerpt)
        XCTAssertEqual(outsider.json["success"], false)
        XCTAssertEqual(outsider.json.string("message"), "Client not found")

        // An administrator of the company without clients.export; and a sales user (not an admin).
        try await WorkspaceWorld.addRole("admin-without-export", permissions: [Permission.clientsAdmin, Permission.clientsRead])
        let exportless = try await WorkspaceWorld.signIn(newUserOf: "admin-without-export", company: faces.companyId, faces: faces)
        let administered = try await faces.gateway.call(.GET, "/api/admin/clients/client_\(number)", as: .session(exportless))
        XCTAssertEqual(administered.status, 200, "the role administers clients")
        let refused = try await faces.gateway.call(.GET, path, as: .session(exportless))
        XCTAssertEqual(refused.status, 403, refused.excerpt)
        XCTAssertEqual(refused.json.string("message"), "Export privileges required")
        let sales = try await faces.gateway.call(.GET, path, as: .session(try XCTUnwrap(world.tokens["sales"])))
        XCTAssertEqual(sales.status, 403, sales.excerpt)

        // clientctl: the gateway's refusal, and no session at all.
        let outsiderCLI = try clientctl(faces, ["privacy", "export", "client_\(number)"], token: try XCTUnwrap(world.tokens["outsider"]))
        XCTAssertEqual(outsiderCLI.status, 1)
        XCTAssertTrue(outsiderCLI.standardError.contains("404: Client not found"), outsiderCLI.standardError)
        XCTAssertEqual(outsiderCLI.standardOutput, "")
        XCTAssertEqual(try clientctl(faces, ["privacy", "export", number], token: "").status, 2)
        XCTAssertEqual(try clientctl(faces, ["privacy", "export", "client_0x1"], token: faces.admin).status, 2)

        // Deleted: not found, as in every API.
        let deleted = try await faces.gateway.call(.DELETE, "/api/admin/clients/client_\(number)", as: admin)
        XCTAssertEqual(deleted.status, 200, deleted.excerpt)
        let gone = try await faces.gateway.call(.GET, path, as: admin)
        XCTAssertEqual(gone.status, 404, gone.excerpt)
        XCTAssertEqual(gone.json.string("message"), "Client not found")
    }

    // MARK: Parts

    /// `clientctl` against the shared stack's gateway with `token` as its staff session.
    private func clientctl(_ faces: CompanyFaces, _ arguments: [String], token: String) throws -> ExternalProgram.Result {
        try ExternalProgram.run(ServiceProcess.binDirectory.appendingPathComponent("clientctl").path, arguments,
                                environment: ["GATEWAY_URL": faces.gateway.baseURL, "STAFF_SESSION_TOKEN": token])
    }

    /// The client's UUID, as the workspace API lists it.
    private func clientUUID(_ world: WorkspaceWorld, named name: String) async throws -> String {
        try await eventuallyValue("the workspace API lists \(name)") {
            let reply = try await world.call(.GET, world.clients + "?q=" + name.replacingOccurrences(of: " ", with: "%20"))
            let items = reply.json.array("clients")
            guard reply.status == 200, items.count == 1 else { return nil }
            return items[0].string("id")
        }
    }

    /// A new user of the company with `role`; its id.
    private func user(_ faces: CompanyFaces, role: String) async throws -> String {
        let reply = try await faces.gateway.call(.POST, "/api/users", as: .session(faces.root), json: [
            "email": .string("\(role)-\(UUID().uuidString.prefix(8).lowercased())@export.test"), "name": "Cara Carer",
            "password": "an export test password", "roles": [.string(role)], "companies": [.string(faces.companyId)],
        ])
        guard reply.status == 201, let id = reply.json["data"]?.string("id") else {
            throw TestSupportError("create \(role): \(reply.status) \(reply.excerpt)")
        }
        return id
    }

    private func send(_ faces: CompanyFaces, _ method: HTTPMethod, _ path: String, token: String,
                      _ body: Multipart) async throws -> GatewayReply {
        try await faces.gateway.call(method, path, as: .session(token), body: body.bytes, headers: ["Content-Type": body.contentType])
    }

    /// The care access log's rows naming client `number`, each as its JSON text.
    private func accessRows(_ stack: ClienteleStack, number: String) async throws -> [String] {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.gatewayDatabase, poolSize: 1))
        do {
            let rows = try await pool.query("SELECT row_to_json(l)::text FROM care_access_log l WHERE client_numbers @> $1::bigint[]",
                                            ["{\(number)}"])
            let texts = try rows.map { try $0.decode(0, as: String.self) }
            await pool.close()
            return texts
        } catch {
            await pool.close()
            throw error
        }
    }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
