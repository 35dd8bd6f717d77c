import ClientDomain
import CRM
import Foundation
import JSON
import XCTest

final class CRMContractTests: XCTestCase {
    func testTheProfileMapsToTheDocumentedProperties() {
        let client = UUID(uuidString: "6F1C2A4E-0000-4000-8000-000000000001")!
        let profile = ClientProfile(name: "  Ada King Lovelace ", email: "ada@example.com", phone: "+44 20 7946 0000", status: .trial,
                                    jobTitle: "Analyst", companyName: "Engines Ltd", industry: "Computing", website: "https://ada.example",
                                    location: "London, Greater London, United Kingdom")
        XCTAssertEqual(CRMContactProperties(clientId: client, profile: profile).values, [
            "clientele_id": "6f1c2a4e-0000-4000-8000-000000000001",
            "email": "ada@example.com", "firstname": "Ada", "lastname": "King Lovelace", "phone": "+44 20 7946 0000",
            "company": "Engines Ltd", "website": "https://ada.example", "jobtitle": "Analyst", "industry": "Computing",
            "city": "London", "country": "United Kingdom", "lifecyclestage": "opportunity",
        ])
    }

    func testAbsentFieldsAreSentEmptySoTheCRMClearsThem() {
        let values = CRMContactProperties(clientId: UUID(), profile: ClientProfile(status: .suspended, displayName: "Grace", location: "Peru")).values
        XCTAssertEqual(values["firstname"], "Grace", "displayName stands in for a missing name")
        XCTAssertEqual(values["lastname"], "")
        XCTAssertEqual(values["email"], "")
        XCTAssertEqual(values["city"], "")
        XCTAssertEqual(values["country"], "Peru")
        XCTAssertEqual(values["lifecyclestage"], "other")
        XCTAssertEqual(values.count, 12)
    }

    func testStatusesMapToLifecycleStages() {
        let stages = ClientStatus.allCases.map { CRMContactProperties(clientId: UUID(), profile: ClientProfile(status: $0)).values["lifecyclestage"]! }
        XCTAssertEqual(stages, ["customer", "other", "other", "opportunity", "other"])
    }

    func testRequestBodiesFollowTheHubSpotShapes() throws {
        let tenant = UUID()
        let kept = UUID(uuidString: "00000000-0000-4000-8000-00000000000A")!
        let neverSynced = UUID()
        let upsert = CRMSyncBatch(id: 1, tenantId: tenant, kind: .upsert,
                                  changes: [CRMChange(tenantId: tenant, clientId: kept, version: 1,
                                                      operation: .upsert(CRMContactProperties(values: ["clientele_id": "x", "email": "a@b.c"])))],
                                  objectIds: [:])
        XCTAssertEqual(try JSONParser.parse(XCTUnwrap(HubSpotContacts.body(for: upsert))), [
            "inputs": [["id": "00000000-0000-4000-8000-00000000000a", "idProperty": "clientele_id",
                        "properties": ["clientele_id": "x", "email": "a@b.c"]]],
        ])
        let archive = CRMSyncBatch(id: 2, tenantId: tenant, kind: .archive,
                                   changes: [CRMChange(tenantId: tenant, clientId: kept, version: 2, operation: .archive),
                                             CRMChange(tenantId: tenant, clientId: neverSynced, version: 2, operation: .archive)],
                                   objectIds: [kept: "5151"])
        XCTAssertEqual(try JSONParser.parse(XCTUnwrap(HubSpotContacts.body(for: archive))), ["inputs": [["id": "5151"]]])
        var nothing = archive
        nothing.objectIds = [:]
        XCTAssertNil(HubSpotContacts.body(for: nothing), "no record in the CRM, no call")
        let gdpr = CRMSyncBatch(id: 3, tenantId: tenant, kind: .gdprDelete,
                                changes: [CRMChange(tenantId: tenant, clientId: kept, version: 3, operation: .gdprDelete)], objectIds: [:])
        XCTAssertEqual(try JSONParser.parse(XCTUnwrap(HubSpotContacts.body(for: gdpr))),
                       ["objectId": "00000000-0000-4000-8000-00000000000a", "idProperty": "clientele_id"])
    }

    func testRecordIdsAreReadFromTheUpsertAnswerByClientId() {
        let answer = Array("""
        {"status":"COMPLETE","results":[{"id":"77","properties":{"clientele_id":"ABC","email":"x"},"new":true},
        {"id":"78","properties":{}},{"properties":{"clientele_id":"def"}}],"startedAt":"2026-01-01T00:00:00Z"}
        """.utf8)
        XCTAssertEqual(HubSpotContacts.objectIds(fromUpsertAnswer: answer), ["abc": "77"])
        XCTAssertEqual(HubSpotContacts.objectIds(fromUpsertAnswer: Array("not json".utf8)), [:])
    }

    func testAnswersAreClassifiedByStatus() {
        XCTAssertEqual(CRMCallOutcome.classify(status: 200, retryAfter: nil, answer: "", objectIds: ["a": "1"]), .accepted(objectIds: ["a": "1"]))
        XCTAssertEqual(CRMCallOutcome.classify(status: 204, retryAfter: nil, answer: ""), .accepted(objectIds: [:]))
        XCTAssertEqual(CRMCallOutcome.classify(status: 429, retryAfter: " 10 ", answer: ""), .rateLimited(retryAfter: .seconds(10)))
        XCTAssertEqual(CRMCallOutcome.classify(status: 429, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", answer: ""),
                       .rateLimited(retryAfter: nil), "a date falls back to the backoff")
        XCTAssertEqual(CRMCallOutcome.classify(status: 429, retryAfter: "-3", answer: ""), .rateLimited(retryAfter: nil))
        XCTAssertEqual(CRMCallOutcome.classify(status: 502, retryAfter: nil, answer: "bad gateway"), .transient(reason: "HTTP 502"))
        XCTAssertEqual(CRMCallOutcome.classify(status: 401, retryAfter: nil, answer: String(repeating: "x", count: 5000)),
                       .rejected(status: 401, answer: String(repeating: "x", count: 2000)))
    }

    /// A gdpr-delete of a contact the CRM does not hold is done (nothing is left to delete);
    /// any other 404, and the same 404 to another call, is not.
    func testAGDPRDeleteOfAnAbsentContactIsDone() {
        let absent = #"{"status":"error","message":"resource not found","category":"OBJECT_NOT_FOUND","correlationId":"c1"}"#
        XCTAssertEqual(CRMCallOutcome.classify(status: 404, retryAfter: nil, answer: absent, absentIsDone: true), .accepted(objectIds: [:]))
        XCTAssertEqual(CRMCallOutcome.classify(status: 404, retryAfter: nil, answer: absent), .rejected(status: 404, answer: absent))
        XCTAssertEqual(CRMCallOutcome.classify(status: 404, retryAfter: nil, answer: "<html>Not Found</html>", absentIsDone: true),
                       .rejected(status: 404, answer: "<html>Not Found</html>"), "a 404 that is not HubSpot's answer")
        let other = #"{"status":"error","category":"VALIDATION_ERROR"}"#
        XCTAssertEqual(CRMCallOutcome.classify(status: 404, retryAfter: nil, answer: other, absentIsDone: true),
                       .rejected(status: 404, answer: other))
        XCTAssertEqual(CRMCallOutcome.classify(status: 400, retryAfter: nil, answer: absent, absentIsDone: true),
                       .rejected(status: 400, answer: absent))
    }
}
