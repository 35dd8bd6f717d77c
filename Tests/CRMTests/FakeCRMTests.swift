import HTTP
import JSON
import TestSupport
import XCTest

/// The fake CRM over real HTTP: the shapes and faults the sync's integration tests rely on.
final class FakeCRMTests: XCTestCase {
    func post(_ crm: FakeCRM, _ path: String, _ body: JSONValue, token: String = "t0k3n",
              timeout: Duration = .seconds(10)) async throws -> HTTPClientResponse {
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: timeout, retries: 0))
        defer { client.shutdown() }
        return try await client.execute(HTTPClientRequest(method: .POST, url: crm.baseURL + path,
                                                          headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
                                                          body: body.serialized()))
    }

    func upsertBody(_ ids: [String], email: String = "a@example.com") -> JSONValue {
        ["inputs": .array(ids.map { ["id": .string($0), "idProperty": "clientele_id", "properties": ["email": .string(email)]] })]
    }

    func testUpsertArchiveAndGDPRDeleteAnswerWithHubSpotShapes() async throws {
        let crm = try await FakeCRM.start()
        let created = try await post(crm, "/crm/v3/objects/contacts/batch/upsert", upsertBody(["c-1", "c-2"]))
        XCTAssertEqual(created.status.code, 200)
        let answer = try JSONParser.parse(created.body)
        XCTAssertEqual(answer["status"], "COMPLETE")
        guard case .array(let results)? = answer["results"] else { return XCTFail("no results") }
        XCTAssertEqual(Set(results.compactMap { $0["properties"]?["clientele_id"] }), ["c-1", "c-2"])
        XCTAssertEqual(results.compactMap { $0["new"] }, [true, true])
        let recordId = try XCTUnwrap(crm.contact(clientId: "c-1")?.recordId)

        let updated = try await post(crm, "/crm/v3/objects/contacts/batch/upsert", upsertBody(["C-1"], email: "b@example.com"))
        let result = try XCTUnwrap(JSONParser.parse(updated.body)["results"]?.arrayValue?.first)
        XCTAssertEqual(result["id"], .string(recordId), "the same record, found by the idProperty ignoring case")
        XCTAssertEqual(result["new"], false)
        XCTAssertEqual(result["properties"], ["clientele_id": "c-1", "email": "b@example.com"])
        XCTAssertEqual(crm.upserts(clientId: "c-1").map { $0["email"] }, ["a@example.com", "b@example.com"])

        let archived = try await post(crm, "/crm/v3/objects/contacts/batch/archive", ["inputs": [["id": .string(recordId)]]])
        XCTAssertEqual(archived.status.code, 204)
        XCTAssertEqual(crm.contact(clientId: "c-1")?.archived, true)

        let erased = try await post(crm, "/crm/v3/objects/contacts/gdpr-delete", ["objectId": "c-2", "idProperty": "clientele_id"])
        XCTAssertEqual(erased.status.code, 204)
        XCTAssertNil(crm.contact(clientId: "c-2"))
        XCTAssertEqual(crm.gdprDeleted, ["c-2"])
        let again = try await post(crm, "/crm/v3/objects/contacts/gdpr-delete", ["objectId": "c-2", "idProperty": "clientele_id"])
        XCTAssertEqual(again.status.code, 404, "a contact it does not hold is HubSpot's OBJECT_NOT_FOUND")
        XCTAssertEqual(try JSONParser.parse(again.body)["category"], "OBJECT_NOT_FOUND")
        XCTAssertEqual(crm.gdprDeleted, ["c-2"])
        XCTAssertEqual(crm.calls.map(\.status), [200, 200, 204, 204, 404])
        try await crm.stop()
    }

    func testItRefusesWhatHubSpotRefuses() async throws {
        let crm = try await FakeCRM.start()
        crm.requireToken("t0k3n")
        let duplicate = try await post(crm, "/crm/v3/objects/contacts/batch/upsert", upsertBody(["x", "X"]))
        XCTAssertEqual(duplicate.status.code, 400)
        XCTAssertEqual(try JSONParser.parse(duplicate.body)["category"], "VALIDATION_ERROR")
        let tooMany = try await post(crm, "/crm/v3/objects/contacts/batch/upsert", upsertBody((0...100).map { "id-\($0)" }))
        XCTAssertEqual(tooMany.status.code, 400)
        let wrongToken = try await post(crm, "/crm/v3/objects/contacts/batch/upsert", upsertBody(["x"]), token: "other")
        XCTAssertEqual(wrongToken.status.code, 401)
        XCTAssertEqual(crm.liveContactCount, 0)
        try await crm.stop()
    }

    func testInjectedFaultsAnswerTheNextCallsThenItRecovers() async throws {
        let crm = try await FakeCRM.start()
        crm.inject(.rateLimited(retryAfterSeconds: 3), count: 2)
        crm.inject(.serverError)
        crm.inject(.timeout(.seconds(2)))
        crm.inject(.slow(.milliseconds(200)))
        let path = "/crm/v3/objects/contacts/batch/upsert"
        for _ in 0..<2 {
            let limited = try await post(crm, path, upsertBody(["x"]))
            XCTAssertEqual(limited.status.code, 429)
            XCTAssertEqual(limited.headers["Retry-After"], "3")
        }
        let failed = try await post(crm, path, upsertBody(["x"]))
        XCTAssertEqual(failed.status.code, 500)
        do {
            _ = try await post(crm, path, upsertBody(["x"]), timeout: .milliseconds(300))
            XCTFail("the held request should time out")
        } catch {}
        let started = ContinuousClock.now
        let slow = try await post(crm, path, upsertBody(["x"]))
        XCTAssertEqual(slow.status.code, 200)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - started, .milliseconds(200))
        XCTAssertEqual(crm.upserts(clientId: "x").count, 1, "only the slow call was applied")
        let recovered = try await post(crm, path, upsertBody(["x"]))
        XCTAssertEqual(recovered.status.code, 200)
        try await crm.stop()
    }
}
