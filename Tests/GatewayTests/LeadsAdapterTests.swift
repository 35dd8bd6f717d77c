import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import XCTest
@testable import Gateway

/// The leads API adapter's validation and rendering, without sockets.
final class LeadsAdapterTests: XCTestCase {
    private func body(_ json: String) -> [UInt8] { Array(json.utf8) }

    /// The document's create example becomes this profile and company.
    func testDocumentCreateBody() throws {
        let creation = try LeadsClientInput.creation(from: body("""
            {"name": "Jane Doe", "email": "jane@example.com", "phone": "+971500000000", "address": "Dubai, UAE",
             "company": 7, "agents": [{"agentId":42,"agentName":"Ahmed Ali"}], "isActive": true, "source": "referral"}
            """))
        XCTAssertEqual(creation.companyNumber, 7)
        XCTAssertEqual(creation.profile, ClientProfile(name: "Jane Doe", email: "jane@example.com", phone: "+971500000000",
                                                       status: .active, address: "Dubai, UAE", source: "referral",
                                                       agents: [AgentAssignment(agentId: 42, agentName: "Ahmed Ali")]))
        let inactive = try LeadsClientInput.creation(from: body(#"{"name":"A","email":"a@example.com","company":1,"isActive":false}"#))
        XCTAssertEqual(inactive.profile.status, .inactive)
    }

    func testCreateNamesEveryBadField() {
        let found = issues {
            try LeadsClientInput.creation(from: self.body("""
                {"email": "nope", "company": "7", "isActive": "yes", "agents": [{"agentId": -1}, {"agentId": 3, "agentName": 5}],
                 "phone": 12, "extra": 1}
                """))
        }
        XCTAssertEqual(found["name"], "is required")
        XCTAssertEqual(found["email"], "must be a valid email address (in ASCII)")
        XCTAssertEqual(found["company"], "must be a company id (a positive integer)")
        XCTAssertEqual(found["isActive"], "must be true or false")
        XCTAssertEqual(found["agents[0].agentId"], "must be a user id (a positive integer)")
        XCTAssertNotNil(found["agents[1].agentName"])
        XCTAssertEqual(found["phone"], "must be a string")
        XCTAssertEqual(found["extra"], "is not a writable field")
        XCTAssertEqual(issues { try LeadsClientInput.creation(from: self.body("[]")) }["body"], "must be a JSON object")
    }

    /// The document's PUT example; agents replace the list, null clears, name cannot be cleared.
    func testUpdateBodies() throws {
        let changes = try LeadsClientInput.changes(from: body(#"{"phone":"+971511111111","agents":[{"agentId":42,"agentName":"Ahmed Ali"}]}"#))
        XCTAssertEqual(changes, ClientProfileChanges(phone: .set("+971511111111"),
                                                     agents: .set([AgentAssignment(agentId: 42, agentName: "Ahmed Ali")])))
        let cleared = try LeadsClientInput.changes(from: body(#"{"address":null,"agents":null,"isActive":false}"#))
        XCTAssertEqual(cleared, ClientProfileChanges(status: .inactive, address: .cleared, agents: .cleared))
        XCTAssertEqual(issues { try LeadsClientInput.changes(from: self.body(#"{"name":null}"#)) }["name"], "is required")
        XCTAssertEqual(issues { try LeadsClientInput.changes(from: self.body(#"{"company":3}"#)) }["company"], "is not a writable field")
        XCTAssertEqual(issues { try LeadsClientInput.changes(from: self.body(#"{"agents":[{"agentId":1},{"agentId":1}]}"#)) }["agents[1].agentId"],
                       "lists agent 1 twice")
    }

    func testPasswordBody() throws {
        XCTAssertEqual(try LeadsClientInput.password(from: body(#"{"password":"NewStrongPassword!"}"#)), "NewStrongPassword!")
        XCTAssertNotNil(issues { try LeadsClientInput.password(from: self.body(#"{"password":"short"}"#)) }["password"])
        XCTAssertEqual(issues { try LeadsClientInput.password(from: self.body("{}")) }["password"], "is required")
    }

    func testClientRendersTheDocumentShape() throws {
        let creator = UUID()
        let tenant = UUID()
        let record = ClientRecord(id: UUID(), tenantId: tenant,
                                  profile: ClientProfile(name: "Jane Doe", email: "jane@example.com", phone: "+971500000000",
                                                         status: .suspended, address: "Dubai, UAE",
                                                         agents: [AgentAssignment(agentId: 42, agentName: "Ahmed Ali")]),
                                  version: 3, createdAt: Date(timeIntervalSince1970: 1_735_812_936), updatedAt: Date(timeIntervalSince1970: 1_736_928_070),
                                  number: 123, createdBy: Actor(kind: .user, id: creator.uuidString.lowercased()), hasJoined: true)
        let json = LeadsClientView.client(record, .init(companyNames: [tenant: "Acme Properties"], userNumbers: [creator: 12]))
        XCTAssertEqual(json, [
            "id": 123, "name": "Jane Doe", "email": "jane@example.com", "phone": "+971500000000", "address": "Dubai, UAE",
            "source": .null, "isActive": false, "createdBy": 12, "createdAt": "2025-01-02T10:15:36.000Z",
            "updatedAt": "2025-01-15T08:01:10.000Z", "company": "Acme Properties", "hasJoined": true,
            "agents": [["agentId": 42, "agentName": "Ahmed Ali"]], "passport": .null,
        ])
        // With a passport, the path it downloads from (through the gateway).
        var withPassport = record
        withPassport.documents = [DocumentReference(id: UUID(), use: .passport, name: "p.pdf", contentType: "application/pdf",
                                                    size: 1, sha256: String(repeating: "a", count: 64), uploadedAt: Date())]
        let shown = LeadsClientView.client(withPassport, .init())
        XCTAssertEqual(shown["passport"], "/api/clients/passport/123")
    }

    func testErrorsUseTheDocumentsMessages() throws {
        let duplicate = LeadsClientView.error(ClienteleError(.conflict, "A client with this email already exists", context: ["field": "email"]))
        XCTAssertEqual(duplicate.status, .badRequest)
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data(duplicate.body)), ["message": "Lead with this email already exists"])
        let forbidden = LeadsClientView.error(ClienteleError(.permissionDenied, LeadsCaller.invalidCompany))
        XCTAssertEqual(forbidden.status, .forbidden)
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data(forbidden.body)), ["message": "Invalid company ID"])
        let internalError = LeadsClientView.error(ClienteleError(.internal, "boom", internalDetail: "SELECT secret"))
        XCTAssertEqual(internalError.status, .internalServerError)
        XCTAssertFalse(String(decoding: internalError.body, as: UTF8.self).contains("SELECT"))
    }
}
