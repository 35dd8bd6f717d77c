import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import Postgres
import ServiceRuntime
import TestSupport
import XCTest
@testable import Gateway

/// Every answer every operation gives is one `/openapi.json` declares for it, with a body of
/// the declared schema: the other direction of `OpenAPIDocumentTests`' route parity.
///
/// The gateway's real routes run on a server on port 0, over a real identity database and
/// faked internal services (`FakeUpstreams`), and every documented operation is sent:
/// - a valid request (`Example`) as each kind of caller (super-admin, a company's admin,
///   sales and agent; API keys with both permissions, with read only, with write only);
/// - the same as the super-admin (or the full key) while each internal service it calls
///   answers each failure that service can give;
/// - no credential, a credential that is not one;
/// - the body as another media type, not JSON, not an object, with an unknown field, empty,
///   and each of its fields replaced by a null, a number, an empty string, a control
///   character or a long string; a multipart body (an upload) without each part, with each
///   text part replaced by such strings, and with its file empty, sent twice or as a text part;
/// - the example's variants (a download's range, past the end, cached);
/// - each query parameter, header and path parameter replaced by such values;
/// and the same valid requests to a gateway whose rate limit allows one request, one whose
/// database is down, and one whose internal services are unreachable.
///
/// A route that starts answering a status its operation does not declare (a new error, a
/// new upstream call that can fail) fails this test; so does an operation without an example,
/// and a document operation declaring an answer no scenario gives.
final class OpenAPIResponseContractTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(10)))

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    /// One request to send: its scenario, for the report.
    struct Request {
        var scenario: String
        var method: HTTPMethod
        var target: String
        var headers: HTTPHeaders
        var body: [UInt8]?
    }

    /// A caller.
    enum Credential {
        case none, garbage, session(User), apiKey(String), internalToken
    }

    /// A valid request of an operation: path parameters, query, headers, and a JSON or a
    /// multipart body; with the other requests worth sending as they are (`variants`, each
    /// with its scenario).
    struct Example {
        var path: [String: String] = [:]
        var query: [(String, String)] = []
        var headers: HTTPHeaders = [:]
        var body: JSONValue?
        var multipart: Multipart?
        var variants: [(String, Example)] = []
    }

    // MARK: The test

    func testEveryAnswerOfEveryOperationIsDeclaredWithItsSchema() async throws {
        let url = try PostgresServer.shared().createDatabase("contract")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 4))
        let records = try await ContractRecords.make(pool: pool)
        let upstreams = try await FakeUpstreams(client: records.client)
        let generous = RateLimitPolicy(requests: 1_000_000, windowSeconds: 60)
        let gateway = try await ContractGateway(identity: records.identity, upstreams: upstreams.baseURL, rateLimit: generous, http: http)
        let deadPort = try FreePort.next()
        let deadPool = PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://postgres@127.0.0.1:\(deadPort)/none"))
        let gateways = [
            ("the rate limit spent", try await ContractGateway(identity: records.identity, upstreams: upstreams.baseURL,
                                                              rateLimit: RateLimitPolicy(requests: 1, windowSeconds: 3600), http: http)),
            ("the database down", try await ContractGateway(identity: IdentityStore(pool: deadPool), upstreams: upstreams.baseURL,
                                                            rateLimit: generous, http: http)),
            ("the internal services unreachable", try await ContractGateway(identity: records.identity,
                                                                            upstreams: "http://127.0.0.1:\(deadPort)",
                                                                            rateLimit: generous, http: http)),
        ]
        var failures: [String] = []
        var sent = 0
        /// The statuses each operation answered, by operation id.
        var seen: [String: Set<Int>] = [:]
        func send(_ request: Request, of operation: OpenAPIOperation, to gateway: ContractGateway) async throws {
            let (status, problems) = try await answer(request, of: operation, from: gateway)
            seen[operation.operationId, default: []].insert(status)
            failures += problems
            sent += 1
        }
        for operation in OpenAPIDocument.operations {
            guard let example = try await Self.example(operation.operationId, records) else {
                failures.append("\(operation.operationId): no example request (add one to OpenAPIResponseContractTests.example)")
                continue
            }
            for request in Self.requests(operation, example, records) {
                try await send(request, of: operation, to: gateway)
            }
            for (scenario, variant) in example.variants {
                try await send(Self.request(scenario, operation, variant, Self.defaultCredential(operation, records), records),
                               of: operation, to: gateway)
            }
            for service in Self.services(operation) {
                for failure in Self.failureCodes(service) {
                    upstreams.fail(service, with: failure)
                    let request = Self.request("\(service) answering \(failure.rawValue)", operation, example,
                                               Self.defaultCredential(operation, records), records)
                    try await send(request, of: operation, to: gateway)
                }
                upstreams.fail(service, with: nil)
            }
            for (condition, other) in gateways {
                for attempt in 1...2 {
                    let request = Self.request("\(condition), request \(attempt)", operation, example,
                                               Self.defaultCredential(operation, records), records)
                    try await send(request, of: operation, to: other)
                }
            }
        }
        for (_, other) in gateways { await other.stop() }
        await gateway.stop()
        await upstreams.stop()
        await deadPool.close()
        await pool.close()
        XCTAssertGreaterThan(sent, 2_000, "the scenarios ran")
        // The document routes' scenarios reach every answer they declare: their fake store and
        // examples leave none unchecked.
        for operation in OpenAPIDocument.documentOperations {
            let unseen = Set(OpenAPIDocument.answers(of: operation).keys).subtracting(seen[operation.operationId] ?? [])
            XCTAssertEqual(unseen.sorted(), [], "\(operation.operationId): declared answers no scenario gave")
        }
        XCTAssertEqual(failures.count, 0, "answers the document does not declare:\n" + failures.prefix(40).joined(separator: "\n"))
    }

    /// Sends `request`: the status answered, and what is wrong with the answer (`problems`).
    private func answer(_ request: Request, of operation: OpenAPIOperation,
                        from gateway: ContractGateway) async throws -> (status: Int, problems: [String]) {
        let response = try await http.execute(HTTPClientRequest(method: request.method, url: gateway.baseURL + request.target,
                                                                headers: request.headers, body: request.body ?? []))
        return (response.status.code, Self.problems(response, request, of: operation))
    }

    /// What is wrong with `response`: a status `operation` does not declare, another media
    /// type, a body that breaks the declared schema.
    static func problems(_ response: HTTPClientResponse, _ request: Request, of operation: OpenAPIOperation) -> [String] {
        let status = response.status.code
        let label = "\(operation.operationId) (\(request.scenario)): \(status)"
        let excerpt = String(decoding: response.body.prefix(300), as: UTF8.self)
        guard let declared = OpenAPIDocument.answers(of: operation)[status] else {
            return ["\(label) is not declared: \(excerpt)"]
        }
        guard let schema = declared.schema else { return response.body.isEmpty ? [] : ["\(label) has a body, declared without"] }
        let mediaType = response.headers["Content-Type"]?.split(separator: ";").first.map(String.init) ?? ""
        guard declared.contentTypes.contains(mediaType) else {
            return ["\(label) is \(mediaType), declared \(declared.contentTypes.joined(separator: " or "))"]
        }
        guard mediaType == "application/json" else { return [] }
        guard let body = try? JSONParser.parse(response.body) else { return ["\(label) is not JSON: \(excerpt)"] }
        let problems = SchemaCheck(schemas: OpenAPIDocument.schemas).problems(body, schema)
        return problems.isEmpty ? [] : ["\(label) breaks its schema (\(problems.prefix(3).joined(separator: "; "))): \(excerpt)"]
    }

    // MARK: Scenarios

    /// Every request of `operation` but the failure and condition scenarios.
    static func requests(_ operation: OpenAPIOperation, _ example: Example, _ records: ContractRecords) -> [Request] {
        var requests: [Request] = []
        for (name, credential) in credentials(operation, records) {
            requests.append(request("a valid request as \(name)", operation, example, credential, records))
        }
        let caller = defaultCredential(operation, records)
        if operation.access != .open {
            requests.append(request("no credential", operation, example, .none, records))
            requests.append(request("a credential that is none", operation, example, .garbage, records))
        }
        let junk: [JSONValue] = [.null, .int(0), .int(-1), "", "\u{0}", "\u{FFFF}", " ", .string(String(repeating: "x", count: 300)),
                                 [], [:], .bool(true)]
        if operation.requestBody != nil {
            var wrongType = request("a text/plain body", operation, example, caller, records)
            wrongType.headers.replaceOrAdd(name: "Content-Type", value: "text/plain")
            requests.append(wrongType)
            for (name, raw) in [("not JSON", "{"), ("not an object", "[1]"), ("null", "null"), ("an unknown field", #"{"unknown": 1}"#),
                                ("empty", "{}")] {
                var bad = request("a body \(name)", operation, example, caller, records)
                bad.body = Array(raw.utf8)
                requests.append(bad)
            }
            if case .object(let fields)? = example.body {
                for name in fields.keys.sorted() {
                    for value in junk {
                        var changed = example
                        changed.body = .object(fields.merging([name: value]) { $1 })
                        requests.append(request("body \(name) = \(value)", operation, changed, caller, records))
                    }
                }
            }
            if let multipart = example.multipart {
                for (scenario, parts) in multipartVariations(multipart.parts) {
                    var changed = example
                    changed.multipart = Multipart(parts)
                    requests.append(request(scenario, operation, changed, caller, records))
                }
            }
        }
        let values = ["", "x", "0", "-1", "true", "%00", "%FF", "a%2Cb", ",", String(repeating: "9", count: 30),
                      String(repeating: "x", count: 300)]
        for parameter in operation.parameters {
            guard case .string(let name)? = parameter["name"], case .string(let location)? = parameter["in"] else { continue }
            for value in values {
                var changed = example
                if location == "query" {
                    changed.query = example.query.filter { $0.0 != name } + [(name, value)]
                } else if !value.contains("%") {
                    changed.headers.replaceOrAdd(name: name, value: value)
                }
                requests.append(request("\(location) \(name) = \(value.prefix(20))", operation, changed, caller, records))
            }
        }
        for name in operation.pathParameterNames {
            for value in ["x", "0", "-1", "1.5", "client_0", "client_01", "00000000-0000-0000-0000-000000000000",
                          "00000000-0000-0000-0000-00000000000G", "%00", String(repeating: "9", count: 30)] {
                var changed = example
                changed.path[name] = value
                requests.append(request("path \(name) = \(value)", operation, changed, caller, records))
            }
        }
        return requests
    }

    /// The parts of an upload's body changed one at a time: each part left out; each text part
    /// replaced by odd strings; the file empty, oddly named, sent twice, or sent as a text part.
    static func multipartVariations(_ parts: [Multipart.Part]) -> [(String, [Multipart.Part])] {
        var variations: [(String, [Multipart.Part])] = []
        let texts = ["", " ", "0", "-1", "01", "client_0", "client_01", "x", "\u{0}", "\u{FFFF}", String(repeating: "9", count: 30),
                     String(repeating: "x", count: 2000)]
        for (index, part) in parts.enumerated() {
            func with(_ replacement: Multipart.Part) -> [Multipart.Part] {
                var changed = parts
                changed[index] = replacement
                return changed
            }
            var without = parts
            without.remove(at: index)
            switch part {
            case .field(let name, _):
                variations.append(("multipart without \(name)", without))
                for text in texts { variations.append(("multipart \(name) = \(text.prefix(20))", with(.field(name, text)))) }
            case .file(let name, let filename, let bytes):
                variations.append(("multipart without \(name)", without))
                variations.append(("multipart \(name) empty", with(.file(name, filename, []))))
                variations.append(("multipart \(name) as a text part", with(.field(name, "x"))))
                variations.append(("multipart \(name) twice", parts + [part]))
                for odd in ["", "../../etc/passwd", "\u{202E}fdp.exe", String(repeating: "n", count: 400)] {
                    variations.append(("multipart \(name) named \(odd.prefix(20))", with(.file(name, odd, bytes))))
                }
            }
        }
        return variations
    }

    /// The callers an operation is sent by with a valid request.
    static func credentials(_ operation: OpenAPIOperation, _ records: ContractRecords) -> [(String, Credential)] {
        switch operation.access {
        case .open: [("anyone", .none)]
        case .internalToken: [("an operator", .internalToken)]
        case .apiKey: [("a key with both permissions", .apiKey(records.fullKey)), ("a read-only key", .apiKey(records.readKey)),
                       ("a write-only key", .apiKey(records.writeKey))]
        case .session: [("the super-admin", .session(records.superAdmin)), ("a company's admin", .session(records.admin)),
                        ("sales", .session(records.sales)), ("an agent", .session(records.agent)),
                        ("an agent the client is not assigned to", .session(records.otherAgent))]
        }
    }

    static func defaultCredential(_ operation: OpenAPIOperation, _ records: ContractRecords) -> Credential {
        credentials(operation, records)[0].1
    }

    /// The internal services an operation's API calls (the identity APIs call none).
    static func services(_ operation: OpenAPIOperation) -> [FakeUpstreams.Service] {
        if OpenAPIDocument.documentOperations.contains(where: { $0.operationId == operation.operationId }) {
            return [.commands, .search, .documents]
        }
        if operation.pattern == AdminCRMAPI.path { return [.crm] }
        return switch operation.tag {
        case "organization", "leads", "workspace": [.commands, .search]
        case "admin": [.commands, .search, .stats]
        default: []
        }
    }

    static func failureCodes(_ service: FakeUpstreams.Service) -> [ClienteleError.Code] {
        switch service {
        case .commands: [.invalidArgument, .notFound, .conflict, .preconditionFailed, .unprocessable, .unavailable, .internal]
        case .search, .stats: FakeUpstreams.projectionFailures.map(\.code)
        case .documents: [.invalidArgument, .notFound, .payloadTooLarge, .unsupportedMediaType, .unavailable, .internal]
        case .crm: [.invalidArgument, .unavailable, .internal]
        }
    }

    static func request(_ scenario: String, _ operation: OpenAPIOperation, _ example: Example, _ credential: Credential,
                        _ records: ContractRecords) -> Request {
        var target = ""
        for segment in operation.pattern.split(separator: "/") {
            target += "/" + (segment.hasPrefix(":") ? example.path[String(segment.dropFirst())] ?? "missing" : String(segment))
        }
        if !example.query.isEmpty {
            target += "?" + example.query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        }
        var headers = example.headers
        switch credential {
        case .none: break
        case .garbage: headers.replaceOrAdd(name: "Authorization", value: "Bearer not-a-credential")
        case .session(let user): headers.replaceOrAdd(name: "Authorization", value: "Bearer " + records.token(user))
        case .apiKey(let secret): headers.replaceOrAdd(name: "Authorization", value: "Bearer " + secret)
        case .internalToken: headers.replaceOrAdd(name: InternalToken.headerName, value: ContractGateway.internalToken.value)
        }
        var body: [UInt8]?
        if let json = example.body {
            body = json.serialized()
            headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        } else if let multipart = example.multipart {
            body = multipart.bytes
            headers.replaceOrAdd(name: "Content-Type", value: multipart.contentType)
        }
        return Request(scenario: scenario, method: operation.method, target: target, headers: headers, body: body)
    }

    // MARK: Examples

    /// A valid request of each operation, by operation id.
    static func example(_ operationId: String, _ records: ContractRecords) async throws -> Example? {
        let unique = UUID().uuidString.prefix(8).lowercased()
        let company = records.company
        let client = ["id": UUID().lowercasedString]
        let lead = ["leadId": "1"]
        let adminClient = ["clientId": "client_1"]
        let workspace = ["workspaceId": company.id.lowercasedString]
        let careKey: HTTPHeaders = ["Idempotency-Key": "care-\(unique)"]
        switch operationId {
        case "health", "readiness", "metrics", "openAPIDocument", "me", "logout", "listCompanies", "listUsers", "adminClientStats":
            return Example()
        case "login":
            return Example(body: ["email": .string(records.superAdmin.email), "password": .string(records.password)])
        case "listClients":
            return Example(query: [("status", "active,inactive"), ("query", "Ada"), ("limit", "5"), ("offset", "0"), ("sortBy", "name"),
                                   ("sortOrder", "desc")])
        case "createClient":
            return Example(headers: ["Idempotency-Key": "create-\(unique)"],
                           body: ["name": "Ada", "phone": "+1 555 0100", "notes": "line one\nline two", "status": "active"])
        case "getClient":
            return Example(path: client)
        case "updateClient":
            return Example(path: client, headers: ["If-Match": "\"3\"", "Idempotency-Key": "update-\(unique)"], body: ["name": "Ada B"])
        case "deleteClient":
            return Example(path: client, headers: ["If-Match": "\"3\"", "Idempotency-Key": "delete-\(unique)"])
        case "createCompany":
            return Example(body: ["name": .string("Company \(unique)")])
        case "updateCompany":
            let taken = try await records.identity.createCompany(name: "Taken \(unique)")
            let path = ["id": company.id.lowercasedString]
            return Example(path: path, body: ["name": .string(company.name), "timeZone": "Australia/Sydney"],
                           variants: [("another company's name", Example(path: path, body: ["name": .string(taken.name)]))])
        case "createUser":
            return Example(body: ["email": .string("user-\(unique)@contract.test"), "name": "New User", "password": .string(records.password),
                                  "roles": ["agent"], "companies": [.string(company.id.lowercasedString)]])
        case "updateUser":
            return Example(path: ["id": records.spare.id.lowercasedString], body: ["name": "Spare User", "active": true])
        case "issueAPIKey":
            return Example(body: ["companyId": .string(company.id.lowercasedString), "permissions": ["clients:read"]])
        case "listAPIKeys":
            return Example(query: [("companyId", company.id.lowercasedString)])
        case "revokeAPIKey":
            let key = try await records.identity.issueAPIKey(companyId: company.id)
            return Example(path: ["id": key.key.id.lowercasedString])
        case "listLeads":
            return Example(query: [("page", "1"), ("query", "Ada"), ("category", "active"), ("company", String(company.number))])
        case "createLead":
            return Example(body: ["name": "Lead", "email": .string("lead-\(unique)@contract.test"), "company": .int(company.number),
                                  "phone": "1", "address": "Line\tone", "source": "web", "isActive": true,
                                  "agents": [["agentId": .int(records.agent.number)]]])
        case "listAgentLeads":
            return Example(path: ["agentId": String(records.agent.number)], query: [("page", "1")])
        case "getLead", "disableLead":
            return Example(path: lead)
        case "updateLead":
            return Example(path: lead, body: ["name": "Lead B", "email": .string("lead-\(unique)@contract.test"),
                                              "agents": [["agentId": .int(records.agent.number), "agentName": "Agent"]]])
        case "changeLeadPassword":
            return Example(path: lead, body: ["password": .string(records.password)])
        case "adminListClients":
            return Example(query: [("page", "1"), ("limit", "5"), ("search", "Ada"), ("status", "active,trial"), ("plan", "free"),
                                   ("accountType", "individual"), ("provider", "google")])
        case "adminCreateClient":
            return Example(body: ["email": .string("admin-\(unique)@contract.test"), "companyId": .string(company.id.lowercasedString),
                                  "displayName": "Ada", "username": .string("ada\(unique)"), "website": "https://example.com",
                                  "plan": "premium"])
        case "adminDashboard":
            return Example(query: [("createdAfter", "2020-01-01"), ("createdBefore", "2030-01-01T00:00:00Z")])
        case "adminAdvancedSearch":
            return Example(query: [("sortBy", "name"), ("sortOrder", "asc"), ("minSubmissions", "1"), ("maxSubmissions", "9"),
                                   ("emailVerified", "true"), ("emailDomain", "example.com")])
        case "adminBulkUpdate":
            return Example(body: ["clients": [["id": "client_1", "industry": "Software"]]])
        case "adminBulkDelete":
            return Example(body: ["clients": [["id": "client_1"]]])
        case "adminGetCRMSettings":
            return Example(query: [("companyId", company.id.lowercasedString)])
        case "adminSaveCRMSettings":
            return Example(query: [("companyId", company.id.lowercasedString)],
                           body: ["enabled": true, "baseUrl": "https://api.hubapi.com", "accessToken": "pat-na1-example"])
        case "adminGetClient", "adminDeleteClient", "adminEraseClient", "adminClientErasure", "adminExportClient":
            return Example(path: adminClient)
        case "adminUpdateClient":
            return Example(path: adminClient, body: ["industry": "Software", "status": "trial"])
        case "adminRecordActivity":
            return Example(path: adminClient, body: ["type": "submission"])
        case "listCareClients", "exportCareClients", "listCareAccessRecords":
            return Example()
        case "findCareClientsByNdis":
            return Example(body: ["ndisNumber": "430000001", "filters": ["status": "active"]])
        case "getCareClient", "getCareClientMobile":
            return Example(path: ["id": "1"])
        case "setCareClientStatus":
            return Example(path: ["id": "1", "status": "terminated"], headers: careKey)
        case "createCareClient":
            return Example(headers: careKey, body: ["personalInfo": ["firstName": "Jane", "lastName": "Smith", "email": .string("jane-\(unique)@contract.test")],
                                  "ndisDetails": ["ndisNumber": "430000001"], "companyId": .string(company.id.lowercasedString)])
        case "updateCareClient", "updateCareClientMobile":
            return Example(path: ["id": "1"], headers: careKey, body: ["personalInfo": ["firstName": "Jane", "lastName": "Smith", "phone": "0400000001"],
                                                     "ndisDetails": ["ndisNumber": "430000001"]])
        case "adminSetAccountFlags":
            return Example(path: adminClient, body: ["emailVerified": true, "avatar": "https://example.com/a.png"])
        case "listCareGoals", "listCareMedications", "listCareAppointments":
            return Example(path: ["clientId": "1"], query: operationId == "listCareAppointments"
                ? [("status", "scheduled"), ("startDate", "2026-01-01"), ("endDate", "2026-01-31")] : [])
        case "createCareGoal":
            return Example(headers: careKey, body: ["clientId": "1", "title": "Improve communication skills", "description": "Work on verbal communication",
                                  "targetDate": "2026-12-31"])
        case "updateCareGoal":
            return Example(path: ["id": records.report.id.lowercasedString], headers: careKey, body: ["status": "in_progress"])
        case "createCareGoalTask":
            return Example(path: ["id": records.report.id.lowercasedString], headers: careKey, body: ["title": "Practise daily"])
        case "updateCareGoalTask":
            return Example(path: ["id": records.report.id.lowercasedString, "taskId": records.notes.id.lowercasedString], headers: careKey,
                           body: ["done": true])
        case "setCareMedicalInfo":
            return Example(path: ["clientId": "1"], headers: careKey, body: ["allergies": ["Peanuts"], "medicalHistory": "Asthma as a child"])
        case "createCareMedication":
            return Example(headers: careKey, body: ["clientId": "1", "medicineName": "Medication A", "dose": "10mg", "frequency": "Daily",
                                  "startDate": "2026-01-01", "reviewDate": "2026-06-01"])
        case "updateCareMedication":
            return Example(path: ["id": records.report.id.lowercasedString], headers: careKey, body: ["dose": "20mg"])
        case "stopCareMedication":
            return Example(path: ["id": records.report.id.lowercasedString], headers: careKey)
        case "listCarerClients":
            return Example(path: ["healthCarerId": records.admin.id.lowercasedString])
        case "createCareAppointment":
            return Example(headers: careKey, body: ["clientId": "1", "healthCarerId": .string(records.admin.id.lowercasedString), "date": "2026-01-15",
                                  "startTime": "09:00", "endTime": "17:00", "serviceType": "Support Work"])
        case "updateCareAppointment":
            return Example(path: ["id": records.report.id.lowercasedString], headers: careKey, body: ["startTime": "10:00", "status": "completed"])
        case "listStakeholderClients":
            return Example()
        case "uploadLeadPassport":
            return Example(path: lead, multipart: Multipart([.file("passport", "passport.pdf", FakeUpstreams.fileContent)]))
        case "downloadLeadPassport":
            return Example(path: lead, variants: downloadVariants(Example(path: lead), records.passport))
        case "uploadCareDocument":
            return Example(multipart: Multipart([.field("clientId", "client_1"), .field("documentType", "report"),
                                                  .file("file", "plan.pdf", FakeUpstreams.fileContent)]),
                           variants: [("a client named by its number",
                                       Example(multipart: Multipart([.file("file", "plan.pdf", FakeUpstreams.fileContent),
                                                                     .field("documentType", "other"), .field("clientId", "1"),
                                                                     .field("note", "ignored")])))])
        case "listCareDocuments":
            return Example(path: ["clientId": "client_1"], variants: [("a client named by its number", Example(path: ["clientId": "1"]))])
        case "downloadCareDocument":
            let report = ["documentId": records.report.id.lowercasedString]
            return Example(path: report, variants: downloadVariants(Example(path: report), records.report) + [
                ("a text document", Example(path: ["documentId": records.notes.id.lowercasedString])),
                ("the passport, not a care document", Example(path: ["documentId": records.passport.id.lowercasedString])),
            ])
        case "deleteCareDocument":
            return Example(path: ["documentId": records.report.id.lowercasedString],
                           variants: [("the passport, not a care document",
                                       Example(path: ["documentId": records.passport.id.lowercasedString]))])
        case "createWorkspaceClient":
            return Example(path: workspace, headers: ["Idempotency-Key": "create-\(unique)"], body: [
                "name": "John Doe", "avatarUrl": "https://example.com/avatar.jpg",
                "contactMethods": [["type": "phone", "value": "+1234567890", "isPreferred": true],
                                   ["type": "email", "value": .string("john-\(unique)@example.com"), "isPreferred": false]],
                "customFields": [["fieldKey": "notes", "value": "Preferred contact time: 9am-5pm"]],
            ])
        case "listWorkspaceClients":
            return Example(path: workspace, query: [("limit", "5"), ("q", "John"), ("contactType", "phone"), ("sort", "-name"),
                                                    ("cf.notes", "x")])
        case "getWorkspaceClient", "deleteWorkspaceClient":
            return Example(path: workspace.merging(["clientId": UUID().lowercasedString]) { $1 },
                           headers: operationId == "deleteWorkspaceClient" ? ["If-Match": "\"3\"", "Idempotency-Key": "delete-\(unique)"] : [:])
        case "updateWorkspaceClient":
            return Example(path: workspace.merging(["clientId": UUID().lowercasedString]) { $1 },
                           headers: ["If-Match": "\"3\"", "Idempotency-Key": "update-\(unique)"],
                           body: ["name": "John B", "avatarUrl": .null, "customFields": [["fieldKey": "notes", "value": .null]]])
        case "listCustomFields":
            return Example(path: workspace)
        case "createCustomField":
            return Example(path: workspace, body: ["fieldKey": .string("tier_\(unique)"), "label": "Tier", "type": "select",
                                                   "options": ["gold", "silver"], "required": false])
        case "updateCustomField", "deleteCustomField":
            let key = "f_\(unique)"
            _ = try await records.identity.createCustomFieldDefinition(
                CustomFieldDefinition(fieldKey: key, label: "F", type: .select, options: ["a", "b"]), companyId: company.id)
            return Example(path: workspace.merging(["fieldKey": key]) { $1 },
                           body: operationId == "updateCustomField" ? ["label": "Field", "options": ["a"], "required": true] : nil)
        default:
            return nil
        }
    }

    /// A download's other requests: a range, one past the end, several ranges, and the
    /// cached copy (`If-None-Match` with the file's ETag, or `*`).
    static func downloadVariants(_ example: Example, _ document: DocumentReference) -> [(String, Example)] {
        let headers: [(String, HTTPHeaders)] = [
            ("a range", ["Range": "bytes=0-3"]), ("an open range", ["Range": "bytes=4-"]),
            ("a range past the end", ["Range": "bytes=100000-"]), ("two ranges", ["Range": "bytes=0-1,3-4"]),
            ("the cached copy", ["If-None-Match": "\"\(document.sha256)\""]), ("any cached copy", ["If-None-Match": "*"]),
            ("another copy", ["If-None-Match": "\"0\""]),
        ]
        return headers.map { scenario, headers in
            var variant = example
            variant.headers = headers
            return (scenario, variant)
        }
    }
}
