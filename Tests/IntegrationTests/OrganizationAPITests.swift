import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// The organization API (`/api/v1/clients`) end to end: every example of its document run as
/// written (cURL, JavaScript, Python), authentication, validation, tenant isolation,
/// `If-Match`, `Idempotency-Key`, concurrent updates and read-your-writes, against the real
/// services started by `ClienteleStack`.
final class OrganizationAPITests: XCTestCase {
    private static let stackResult = SharedStack("orgapi")

    private var stack: ClienteleStack {
        get async throws { try await Self.stackResult.stack() }
    }

    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    // MARK: Helpers

    private var gateway: GatewayCaller {
        get async throws { GatewayCaller(http: http, stack: try await stack) }
    }

    private func createClient(_ key: String, name: String = "Jane Roe", extra: HTTPHeaders = [:]) async throws -> GatewayReply {
        let reply = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(key),
                                           json: ["name": .string(name), "phone": "+1 555-0000"],
                                           headers: extra)
        XCTAssertEqual(reply.status, 201, reply.excerpt)
        return reply
    }

    private func eventCount(stream id: String) async throws -> Int64 {
        let stack = try await stack
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let rows = try await pool.query("SELECT count(*) FROM events WHERE stream_id = $1::uuid", [id])
        await pool.close()
        return try rows[0].decode(0, as: Int64.self)
    }

    // MARK: The document's examples, as written

    static let curlExamples = """
    # List clients
    curl https://your-app.com/api/v1/clients \\
    -H "Authorization: Bearer ba_a1b2c3d4e5f6..."
    # List with filters
    curl "https://your-app.com/api/v1/clients?status=active&sortBy=name&sortOrder=asc&limit=10" \\
    -H "Authorization: Bearer ba_a1b2c3d4e5f6..."
    # Get a single client
    curl https://your-app.com/api/v1/clients/UUID_HERE \\
    -H "Authorization: Bearer ba_a1b2c3d4e5f6..."
    # Create a client
    curl -X POST https://your-app.com/api/v1/clients \\
    -H "Authorization: Bearer ba_a1b2c3d4e5f6..." \\
    -H "Content-Type: application/json" \\
    -d '{"name":"John Doe","phone":"+1 555-1234"}'
    # Update a client
    curl -X PATCH https://your-app.com/api/v1/clients/UUID_HERE \\
    -H "Authorization: Bearer ba_a1b2c3d4e5f6..." \\
    -H "Content-Type: application/json" \\
    -d '{"status":"inactive","notes":"No longer active"}'
    # Delete a client
    curl -X DELETE https://your-app.com/api/v1/clients/UUID_HERE \\
    -H "Authorization: Bearer ba_a1b2c3d4e5f6..."
    """

    static let javascriptExample = """
    const API_KEY = "ba_a1b2c3d4e5f6...";
    const BASE_URL = "https://your-app.com/api/v1";
    // List clients
    const response = await fetch(`${BASE_URL}/clients?limit=10&sortOrder=desc`, {
    headers: { Authorization: `Bearer ${API_KEY}` },
    });
    const { data, total } = await response.json();
    // Create a client
    const createRes = await fetch(`${BASE_URL}/clients`, {
    method: "POST",
    headers: {
    Authorization: `Bearer ${API_KEY}`,
    "Content-Type": "application/json",
    },
    body: JSON.stringify({
    name: "John Doe",
    phone: "+1 555-1234",
    }),
    });
    const { data: newClient } = await createRes.json();
    """

    static let pythonExample = """
    import requests
    API_KEY = "ba_a1b2c3d4e5f6..."
    BASE_URL = "https://your-app.com/api/v1"
    # List clients
    response = requests.get(
        f"{BASE_URL}/clients",
        headers={"Authorization": f"Bearer {API_KEY}"},
        params={"limit": 10, "sortOrder": "desc"},
    )
    data = response.json()
    # Create a client
    response = requests.post(
        f"{BASE_URL}/clients",
        headers={"Authorization": f"Bearer {API_KEY}"},
        json={"name": "John Doe", "phone": "+1 555-1234"},
    )
    new_client = response.json()
    """

    /// `text` with the document's host and key replaced by the test stack's.
    private func substituted(_ text: String, key: String, clientId: String = "") async throws -> String {
        let base = try await stack.gateway.baseURL
        return text.replacingOccurrences(of: "https://your-app.com", with: base)
            .replacingOccurrences(of: "ba_a1b2c3d4e5f6...", with: key)
            .replacingOccurrences(of: "UUID_HERE", with: clientId)
    }

    func testCurlExamplesAsWritten() async throws {
        let key = try await stack.createCompanyWithKey("Curl Examples Inc").secret
        let existing = try await createClient(key, name: "Alice Existing")
        let id = try XCTUnwrap(existing.json["data"]?.string("id"))

        // Each command (continuation lines joined), run by the shell as written, with the
        // status code appended on its own line.
        let commands = Self.curlExamples.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.map(String.init)
        XCTAssertEqual(commands.count, 6)
        var replies: [(Int, JSONValue)] = []
        for command in commands {
            let line = try await substituted(command, key: key, clientId: id) + " -s -w '\\n%{http_code}'"
            let result = try ExternalProgram.run("bash", ["-c", line])
            XCTAssertEqual(result.status, 0, "\(line): \(result.standardError)")
            let parts = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false)
            let status = Int(parts.last ?? "") ?? 0
            let body = parts.dropLast().joined(separator: "\n")
            replies.append((status, (try? JSONParser.parse(Array(body.utf8))) ?? .null))
        }
        // List
        XCTAssertEqual(replies[0].0, 200)
        let list = replies[0].1
        XCTAssertNotNil(list["data"]?.arrayValue)
        XCTAssertNotNil(list.int("total"))
        // List with filters: active only, by name, at most 10
        XCTAssertEqual(replies[1].0, 200)
        let filtered = try XCTUnwrap(replies[1].1["data"]?.arrayValue)
        XCTAssertLessThanOrEqual(filtered.count, 10)
        XCTAssertTrue(filtered.allSatisfy { $0.string("status") == "active" })
        let names = filtered.compactMap { $0.string("name") }
        XCTAssertEqual(names, names.sorted())
        // Get
        XCTAssertEqual(replies[2].0, 200)
        XCTAssertEqual(replies[2].1["data"]?.string("id"), id)
        // Create
        XCTAssertEqual(replies[3].0, 201)
        let created = try XCTUnwrap(replies[3].1["data"])
        XCTAssertEqual(created.string("name"), "John Doe")
        XCTAssertEqual(created.string("phone"), "+1 555-1234")
        XCTAssertEqual(created.string("status"), "active")
        XCTAssertNotNil(created.string("createdAt"))
        // Update
        XCTAssertEqual(replies[4].0, 200)
        let updated = try XCTUnwrap(replies[4].1["data"])
        XCTAssertEqual(updated.string("status"), "inactive")
        XCTAssertEqual(updated.string("notes"), "No longer active")
        XCTAssertEqual(updated.string("name"), "Alice Existing")
        // Delete
        XCTAssertEqual(replies[5].0, 200)
        XCTAssertEqual(replies[5].1.bool("success"), true)
        let gone = try await gateway.call(.GET, "/api/v1/clients/\(id)", as: .apiKey(key))
        XCTAssertEqual(gone.status, 404)
    }

    func testJavaScriptExampleAsWritten() async throws {
        let key = try await stack.createCompanyWithKey("JavaScript Examples Inc").secret
        _ = try await createClient(key, name: "Earlier Client")
        let script = try await substituted(Self.javascriptExample, key: key) + """

            console.log(JSON.stringify({ listStatus: response.status, data, total, createStatus: createRes.status, newClient }));
            """
        let result = try ExternalProgram.run("node", ["--input-type=module", "-e", script])
        XCTAssertEqual(result.status, 0, result.standardError)
        let output = try JSONParser.parse(Array(result.standardOutput.utf8))
        XCTAssertEqual(output.int("listStatus"), 200)
        XCTAssertEqual(output["data"]?.arrayValue?.count, 1)
        XCTAssertEqual(output.int("total"), 1)
        XCTAssertEqual(output.int("createStatus"), 201)
        let newClient = try XCTUnwrap(output["newClient"])
        XCTAssertEqual(newClient.string("name"), "John Doe")
        XCTAssertEqual(newClient.string("phone"), "+1 555-1234")
        XCTAssertNotNil(UUID(uuidString: newClient.string("id") ?? ""))
    }

    func testPythonExampleAsWritten() async throws {
        let key = try await stack.createCompanyWithKey("Python Examples Inc").secret
        _ = try await createClient(key, name: "Earlier Client")
        let script = try await substituted(Self.pythonExample, key: key) + """

            import json
            print(json.dumps({"list": data, "created": new_client, "status": response.status_code}))
            """
        let result = try ExternalProgram.run("python3", ["-c", script])
        XCTAssertEqual(result.status, 0, result.standardError)
        let output = try JSONParser.parse(Array(result.standardOutput.utf8))
        let list = try XCTUnwrap(output["list"])
        XCTAssertEqual(list.int("total"), 1)
        XCTAssertEqual(output.int("status"), 201)
        let created = try XCTUnwrap(output["created"]?["data"])
        XCTAssertEqual(created.string("name"), "John Doe")
    }

    // MARK: Behaviour

    func testMissingBadAndRevokedKeysAre401() async throws {
        let issued = try await stack.createCompanyWithKey("Auth Checks Inc")
        for key in [nil, "ba_nonsense", "ba_" + String(repeating: "A", count: 43), "Basic abc"] as [String?] {
            let reply = try await gateway.call(.GET, "/api/v1/clients", as: key.map(Credential.apiKey))
            XCTAssertEqual(reply.status, 401, "\(key ?? "no key")")
            XCTAssertEqual(reply.json.string("code"), "unauthenticated")
            XCTAssertNotNil(reply.json.string("error"))
        }
        let created = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey("ba_nonsense"), json: ["name": "X"])
        XCTAssertEqual(created.status, 401)

        // A read-only key cannot write.
        let readOnly = try await stack.createCompanyWithKey("Read Only Inc", permissions: "clients:read")
        let refused = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(readOnly.secret), json: ["name": "X"])
        XCTAssertEqual(refused.status, 403)

        // A revocation made outside the gateway (clientctl) is effective within seconds: the
        // gateway remembers a verified key for 2 s.
        _ = try await createClient(issued.secret)
        try await stack.clientctl(["api-key", "revoke", issued.keyId])
        var afterRevoke = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(issued.secret), json: ["name": "X"])
        // 5 s: the 2 s the gateway remembers a key, with slack; a key accepted after that was
        // not refused "within seconds".
        try await eventually("the revoked key is refused (last answer \(afterRevoke.status))", timeout: .seconds(5)) {
            if afterRevoke.status == 401 { return true }
            afterRevoke = try await gateway.call(.GET, "/api/v1/clients/\(UUID().uuidString.lowercased())", as: .apiKey(issued.secret))
            return afterRevoke.status == 401
        }
        XCTAssertEqual(afterRevoke.status, 401, "refused within seconds of the revocation")
    }

    func testValidationErrorsNameEachField() async throws {
        let key = try await stack.createCompanyWithKey("Validation Inc").secret
        let reply = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(key),
                                           json: ["phone": 42, "status": "archived", "color": "red"])
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.json.string("error"), "Validation failed")
        let details = try XCTUnwrap(reply.json["details"]?.arrayValue)
        XCTAssertEqual(Set(details.compactMap { $0.string("field") }), ["name", "phone", "status", "color"])

        let patch = try await gateway.call(.PATCH, "/api/v1/clients/\(UUID().uuidString.lowercased())", as: .apiKey(key),
                                           json: ["status": "gone"])
        XCTAssertEqual(patch.status, 400)
        let list = try await gateway.call(.GET, "/api/v1/clients?limit=500&sortBy=height", as: .apiKey(key))
        XCTAssertEqual(list.status, 400)
        XCTAssertEqual(Set(list.json.array("details").compactMap { $0.string("field") }), ["limit", "sortBy"])
        let notJSON = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(key), body: Array("{name".utf8))
        XCTAssertEqual(notJSON.status, 400)
        let tooLong = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(key),
                                             json: ["name": .string(String(repeating: "n", count: 201))])
        XCTAssertEqual(tooLong.status, 400)
        XCTAssertEqual(tooLong.json["details"]?.arrayValue?.first?.string("field"), "name")
        let huge = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(key),
                                          json: ["notes": .string(String(repeating: "n", count: 70_000))])
        XCTAssertEqual(huge.status, 413)
    }

    func testAnotherCompanysClientIsNotFound() async throws {
        let owner = try await stack.createCompanyWithKey("Owner Inc").secret
        let other = try await stack.createCompanyWithKey("Other Inc").secret
        let created = try await createClient(owner)
        let id = try XCTUnwrap(created.json["data"]?.string("id"))
        let missing = UUID().uuidString.lowercased()
        for target in [id, missing, "not-a-uuid"] {
            let patch = try await gateway.call(.PATCH, "/api/v1/clients/\(target)", as: .apiKey(other), json: ["notes": "mine now"])
            XCTAssertEqual(patch.status, 404, target)
            XCTAssertEqual(patch.json.string("error"), "Client not found")
            let delete = try await gateway.call(.DELETE, "/api/v1/clients/\(target)", as: .apiKey(other))
            XCTAssertEqual(delete.status, 404, target)
            let get = try await gateway.call(.GET, "/api/v1/clients/\(target)", as: .apiKey(other))
            XCTAssertEqual(get.status, 404, target)
            XCTAssertEqual(get.json.string("error"), "Client not found")
        }
        let events = try await eventCount(stream: id)
        XCTAssertEqual(events, 1, "another company's requests changed the client")
    }

    func testStaleIfMatchIs412AndChangesNothing() async throws {
        let key = try await stack.createCompanyWithKey("ETag Inc").secret
        let created = try await createClient(key)
        XCTAssertEqual(created.headers["ETag"], "\"1\"")
        let id = try XCTUnwrap(created.json["data"]?.string("id"))
        let first = try await gateway.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(key), json: ["notes": "first"],
                                           headers: ["If-Match": "\"1\""])
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.headers["ETag"], "\"2\"")
        let stale = try await gateway.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(key), json: ["notes": "stale"],
                                           headers: ["If-Match": "\"1\""])
        XCTAssertEqual(stale.status, 412)
        let staleDelete = try await gateway.call(.DELETE, "/api/v1/clients/\(id)", as: .apiKey(key), headers: ["If-Match": "\"1\""])
        XCTAssertEqual(staleDelete.status, 412)
        let garbage = try await gateway.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(key), json: ["notes": "x"],
                                             headers: ["If-Match": "nonsense"])
        XCTAssertEqual(garbage.status, 412)
        let events = try await eventCount(stream: id)
        XCTAssertEqual(events, 2)
    }

    func testIdempotencyKeyReplaysTheFirstResponseAndWritesOnce() async throws {
        let key = try await stack.createCompanyWithKey("Idempotency Inc").secret
        let headers: HTTPHeaders = ["Idempotency-Key": "create-\(UUID().uuidString)"]
        let first = try await createClient(key, name: "Once Only", extra: headers)
        let second = try await createClient(key, name: "Once Only", extra: headers)
        let id = try XCTUnwrap(first.json["data"]?.string("id"))
        XCTAssertEqual(second.json["data"]?.string("id"), id)
        XCTAssertEqual(second.json["data"]?.string("createdAt"), first.json["data"]?.string("createdAt"))
        XCTAssertEqual(second.headers["Idempotent-Replayed"], "true")
        XCTAssertNil(first.headers["Idempotent-Replayed"])
        let different = try await gateway.call(.POST, "/api/v1/clients", as: .apiKey(key), json: ["name": "Someone Else"], headers: headers)
        XCTAssertEqual(different.status, 422)

        // Concurrent duplicates of one PATCH: one write, every answer the same.
        let patchHeaders: HTTPHeaders = ["Idempotency-Key": "patch-\(UUID().uuidString)"]
        let caller = try await gateway
        let answers = try await withThrowingTaskGroup(of: GatewayReply.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await caller.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(key), json: ["notes": "once"], headers: patchHeaders)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertTrue(answers.allSatisfy { $0.status == 200 }, "\(answers.map(\.status))")
        XCTAssertEqual(Set(answers.compactMap { $0.headers["ETag"] }), ["\"2\""])
        let events = try await eventCount(stream: id)
        XCTAssertEqual(events, 2)
    }

    func testConcurrentPatchesLoseNoUpdate() async throws {
        let key = try await stack.createCompanyWithKey("Concurrency Inc").secret
        let created = try await createClient(key)
        let id = try XCTUnwrap(created.json["data"]?.string("id"))
        let count = 20
        let caller = try await gateway
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await caller.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(key), json: ["notes": .string("note \(index)")]).status
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(statuses, Array(repeating: 200, count: count))
        let events = try await eventCount(stream: id)
        XCTAssertEqual(events, Int64(count + 1))
    }

    func testCorrelationIdReachesTheEventsAndInternalRoutesNeedTheToken() async throws {
        let key = try await stack.createCompanyWithKey("Correlation Inc").secret
        let created = try await createClient(key, extra: ["X-Correlation-Id": "corr-org-api-1"])
        XCTAssertEqual(created.headers["X-Correlation-Id"], "corr-org-api-1")
        let id = try XCTUnwrap(created.json["data"]?.string("id"))
        let stack = try await stack
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.commandDatabase, poolSize: 1))
        let rows = try await pool.query("SELECT correlation_id, actor_kind FROM events WHERE stream_id = $1::uuid", [id])
        await pool.close()
        XCTAssertEqual(try rows[0].decode(0, as: String.self), "corr-org-api-1")
        XCTAssertEqual(try rows[0].decode(1, as: String.self), "api_key")

        // The command service refuses callers without the internal token.
        let direct = try await http.execute(HTTPClientRequest(method: .POST, url: stack.commandService.baseURL + "/internal/v1/client-commands",
                                                              headers: ["Content-Type": "application/json"], body: Array("{}".utf8)))
        XCTAssertEqual(direct.status.code, 401)
        let wrong = try await http.execute(HTTPClientRequest(method: .POST, url: stack.commandService.baseURL + "/internal/v1/client-commands",
                                                             headers: ["Content-Type": "application/json", "X-Internal-Token": "wrong-token-0123456789"],
                                                             body: Array("{}".utf8)))
        XCTAssertEqual(wrong.status.code, 401)
    }

    func testReadYourWrites() async throws {
        let key = try await stack.createCompanyWithKey("Read Your Writes Inc").secret
        for index in 0..<5 {
            let created = try await createClient(key, name: "Fresh \(index)")
            XCTAssertNil(created.headers["X-Consistency"])
            let id = try XCTUnwrap(created.json["data"]?.string("id"))
            let got = try await gateway.call(.GET, "/api/v1/clients/\(id)", as: .apiKey(key))
            XCTAssertEqual(got.status, 200)
            XCTAssertEqual(got.headers["ETag"], "\"1\"")
            let listed = try await gateway.call(.GET, "/api/v1/clients?query=Fresh%20\(index)", as: .apiKey(key))
            XCTAssertEqual((listed.json["data"]?.arrayValue)?.compactMap { $0.string("id") }, [id])
            let patched = try await gateway.call(.PATCH, "/api/v1/clients/\(id)", as: .apiKey(key), json: ["status": "inactive"])
            XCTAssertNil(patched.headers["X-Consistency"])
            let afterPatch = try await gateway.call(.GET, "/api/v1/clients?status=inactive&query=Fresh%20\(index)", as: .apiKey(key))
            XCTAssertEqual(afterPatch.json.int("total"), 1)
        }
    }

    // MARK: Coalesced lookups (the gateway's gets go to the search projection in batches)

    /// The gateway's `clientele_gateway_lookup_batch_size` histogram: (batch requests, lookups).
    private func lookupBatches() async throws -> (count: Int, sum: Int) {
        let response = try await http.execute(HTTPClientRequest(url: try await stack.gateway.baseURL + "/metrics",
                                                                headers: ["X-Internal-Token": try await stack.internalToken]))
        var count = 0, sum = 0
        for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            if parts[0] == "clientele_gateway_lookup_batch_size_count" { count = Int(value) }
            if parts[0] == "clientele_gateway_lookup_batch_size_sum" { sum = Int(value) }
        }
        return (count, sum)
    }

    /// Runs `gets` (path, key) concurrently, 64 at a time; the replies in the same order.
    private func concurrently(_ gets: [(path: String, key: String)]) async throws -> [GatewayReply] {
        let caller = try await gateway
        var replies = [GatewayReply?](repeating: nil, count: gets.count)
        try await withThrowingTaskGroup(of: (Int, GatewayReply).self) { group in
            var next = 0
            func start() {
                guard next < gets.count else { return }
                let index = next, get = gets[index]
                next += 1
                group.addTask { (index, try await caller.call(.GET, get.path, as: .apiKey(get.key))) }
            }
            for _ in 0..<64 { start() }
            for try await (index, reply) in group {
                replies[index] = reply
                start()
            }
        }
        return replies.map { $0! }
    }

    func testConcurrentGetsOfTwoCompaniesEachGetTheirOwnClient() async throws {
        let keys = [try await stack.createCompanyWithKey("Lookup One Inc").secret,
                    try await stack.createCompanyWithKey("Lookup Two Inc").secret]
        var clients: [(id: String, name: String, key: String)] = []
        for index in 0..<16 {
            let key = keys[index % 2], name = "Lookup \(index)"
            let created = try await createClient(key, name: name)
            clients.append((try XCTUnwrap(created.json["data"]?.string("id")), name, key))
        }
        let before = try await lookupBatches()
        let gets = (0..<480).map { clients[$0 % clients.count] }
        let replies = try await concurrently(gets.map { ("/api/v1/clients/\($0.id)", $0.key) })
        for (get, reply) in zip(gets, replies) {
            XCTAssertEqual(reply.status, 200, get.name)
            XCTAssertEqual(reply.json["data"]?.string("id"), get.id)
            XCTAssertEqual(reply.json["data"]?.string("name"), get.name)
        }
        let after = try await lookupBatches()
        XCTAssertEqual(after.sum - before.sum, gets.count, "every get went through the batch route")
        XCTAssertLessThan(after.count - before.count, gets.count, "concurrent gets shared batch requests")
    }

    func testInABatchOnlyTheOtherCompanysDeletedAndUnknownClientsAreNotFound() async throws {
        let key = try await stack.createCompanyWithKey("Mixed Batch Inc").secret
        let other = try await stack.createCompanyWithKey("Mixed Batch Other Inc").secret
        var own: [String] = []
        for index in 0..<4 {
            let created = try await createClient(key, name: "Mine \(index)")
            own.append(try XCTUnwrap(created.json["data"]?.string("id")))
        }
        let gone = try await createClient(key, name: "Gone")
        let deleted = try XCTUnwrap(gone.json["data"]?.string("id"))
        let deletion = try await gateway.call(.DELETE, "/api/v1/clients/\(deleted)", as: .apiKey(key))
        XCTAssertEqual(deletion.status, 200)
        let theirsCreated = try await createClient(other, name: "Theirs")
        let theirs = try XCTUnwrap(theirsCreated.json["data"]?.string("id"))
        let unknown = UUID().uuidString.lowercased()

        let targets = Array(repeating: own + [deleted, theirs, unknown], count: 24).flatMap { $0 }
        let replies = try await concurrently(targets.map { ("/api/v1/clients/\($0)", key) })
        for (target, reply) in zip(targets, replies) {
            if own.contains(target) {
                XCTAssertEqual(reply.status, 200, target)
                XCTAssertEqual(reply.json["data"]?.string("id"), target)
            } else {
                XCTAssertEqual(reply.status, 404, target)
                XCTAssertEqual(reply.json.string("error"), "Client not found")
            }
        }
        // The other company still sees its own client.
        let ownerGet = try await gateway.call(.GET, "/api/v1/clients/\(theirs)", as: .apiKey(other))
        XCTAssertEqual(ownerGet.status, 200)
    }

    func testTheBatchLookupRouteNeedsTheTokenAndNamesTheBadField() async throws {
        let stack = try await stack
        let url = stack.searchProjection.baseURL + "/internal/v1/client-lookups"
        // The search projection's internal route, not the gateway: so not through GatewayCaller.
        func lookup(_ body: String, token: String?) async throws -> (status: Int, json: JSONValue) {
            var headers: HTTPHeaders = ["Content-Type": "application/json"]
            if let token { headers.add(name: "X-Internal-Token", value: token) }
            let response = try await http.execute(HTTPClientRequest(method: .POST, url: url, headers: headers, body: Array(body.utf8)))
            return (response.status.code, (try? JSONParser.parse(response.body)) ?? .null)
        }
        let key = try stack.createCompanyWithKey("Lookup Route Inc")
        let created = try await createClient(key.secret, name: "Routed")
        let id = try XCTUnwrap(created.json["data"]?.string("id"))
        let tenant = key.companyId.lowercased()
        func entry(_ id: String, _ tenant: String) -> String { #"{"id":"\#(id)","tenantId":"\#(tenant)"}"# }
        let valid = #"{"lookups":[\#(entry(id, tenant)),\#(entry(id, UUID().uuidString)),\#(entry(UUID().uuidString, tenant))]}"#

        let noToken = try await lookup(valid, token: nil)
        XCTAssertEqual(noToken.status, 401)
        let wrongToken = try await lookup(valid, token: "wrong-token-0123456789")
        XCTAssertEqual(wrongToken.status, 401)

        let found = try await lookup(valid, token: stack.internalToken)
        XCTAssertEqual(found.status, 200)
        let data = try XCTUnwrap(found.json["data"]?.arrayValue)
        XCTAssertEqual(data.count, 3)
        XCTAssertEqual(data[0].string("id")?.lowercased(), id)
        XCTAssertEqual(data[1], .null, "another tenant's client is null")
        XCTAssertEqual(data[2], .null, "an unknown client is null")

        let tooMany = #"{"lookups":["# + Array(repeating: entry(id, tenant), count: 129).joined(separator: ",") + "]}"
        let bad: [(body: String, field: String)] = [
            (#"{"lookups":[]}"#, "lookups"),
            (tooMany, "lookups"),
            (#"{"lookups":{}}"#, "lookups"),
            ("{}", "lookups"),
            (#"{"lookups":[\#(entry(id, tenant)),\#(entry("not-a-uuid", tenant))]}"#, "lookups[1].id"),
            (#"{"lookups":[\#(entry(id, "42"))]}"#, "lookups[0].tenantId"),
        ]
        for (body, field) in bad {
            let reply = try await lookup(body, token: stack.internalToken)
            XCTAssertEqual(reply.status, 400, body.prefix(80) + "")
            XCTAssertEqual(reply.json.string("field"), field, body.prefix(80) + "")
        }
        let exactlyTheLimit = #"{"lookups":["# + Array(repeating: entry(id, tenant), count: 128).joined(separator: ",") + "]}"
        let full = try await lookup(exactlyTheLimit, token: stack.internalToken)
        XCTAssertEqual(full.status, 200)
        XCTAssertEqual(full.json["data"]?.arrayValue?.count, 128)
    }

    /// A projection without the batch route (an older version) makes gets fail with 500,
    /// never answer "not found": here a second gateway whose search URL is the stats projection.
    func testAProjectionWithoutTheBatchRouteIsAServerErrorNotANotFound() async throws {
        let stack = try await stack
        let key = try stack.createCompanyWithKey("Old Projection Inc").secret
        let created = try await createClient(key, name: "Exists")
        let id = try XCTUnwrap(created.json["data"]?.string("id"))
        let logs = stack.logDirectory.appendingPathComponent("gateway-without-lookups")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let gateway = try ServiceProcess.start("gateway", environment: [
            "COMMAND_SERVICE_URL": stack.commandService.baseURL, "SEARCH_SERVICE_URL": stack.statsProjection.baseURL,
            "STATS_SERVICE_URL": stack.statsProjection.baseURL, "DOCUMENT_SERVICE_URL": stack.documentStore.baseURL,
            "DATABASE_URL": stack.gatewayDatabase, "INTERNAL_TOKEN": stack.internalToken,
            "JWT_KEYS": stack.jwtKeys, "SESSION_COOKIE_SECURE": "false",
        ], logDirectory: logs)
        defer { gateway.process.stop() }
        try await gateway.waitUntilReady(client: http)
        let caller = GatewayCaller(http: http, baseURL: gateway.baseURL)
        for target in [id, UUID().uuidString.lowercased()] {
            let reply = try await caller.call(.GET, "/api/v1/clients/\(target)", as: .apiKey(key))
            XCTAssertEqual(reply.status, 500, target)
        }
    }
}
