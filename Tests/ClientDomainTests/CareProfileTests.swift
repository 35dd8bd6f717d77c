import ClientDomain
import Errors
import Foundation
import JSON
import XCTest

/// The care sections: the deep merge, every validation rule, and how a care write shows in
/// the client's shared name, email and phone.
final class CareProfileTests: XCTestCase {
    let tenant = UUID()
    let start = Date(timeIntervalSince1970: 1_700_000_000)
    let coordinator = "6f1c2a9e-7a51-4d43-9a53-0d1c6f6b1e2a"

    /// The document's create body, with valid values swapped in.
    func documentCreate() throws -> CarePatch {
        try patch("""
            {"personalInfo": {"firstName": "Jane", "lastName": "Smith", "dateOfBirth": "1990-01-01", "gender": "female",
                              "phone": "0400000000", "email": "jane@example.com"},
             "address": {"street": "123 Main St", "suburb": "Melbourne", "state": "VIC", "postcode": "3000"},
             "ndisDetails": {"ndisNumber": "430000001", "planStartDate": "2024-01-01", "planEndDate": "2024-12-31"}}
            """)
    }

    func patch(_ text: String) throws -> CarePatch {
        try CarePatch(json: JSONObjectReader(JSONParser.parse(Array(text.utf8))))
    }

    func created() throws -> ClientProfile {
        var profile = ClientProfile()
        try documentCreate().normalized().apply(to: &profile)
        return profile
    }

    func testACreateSetsTheSharedNameEmailAndE164PhoneAndKeepsThemOutOfTheSections() throws {
        let profile = try created()
        XCTAssertEqual(profile.name, "Jane Smith")
        XCTAssertEqual(profile.email, "jane@example.com")
        XCTAssertEqual(profile.phone, "+61400000000")
        XCTAssertEqual(profile.care?.firstName, "Jane")
        XCTAssertEqual(profile.care?.ndisNumber, "430000001")
        XCTAssertNil(profile.care?.sections["personalInfo"]?["email"])
        XCTAssertNil(profile.care?.sections["personalInfo"]?["phone"])
        XCTAssertEqual(CareSchema.issues(of: try documentCreate(), against: nil), [])
        XCTAssertEqual(profile.care?.issues, [])
    }

    func testANestedObjectMergesFieldByField() throws {
        var profile = try created()
        try patch(#"{"address": {"street": "456 New St"}, "personalInfo": {"phone": "+61400000001"}}"#).apply(to: &profile)
        XCTAssertEqual(profile.care?.text("address", "street"), "456 New St")
        XCTAssertEqual(profile.care?.text("address", "suburb"), "Melbourne")
        XCTAssertEqual(profile.care?.text("address", "postcode"), "3000")
        XCTAssertEqual(profile.phone, "+61400000001")
        XCTAssertEqual(profile.care?.firstName, "Jane")
    }

    func testAnArrayReplacesAndNullClears() throws {
        var profile = try created()
        try patch(#"{"medicalInfo": {"allergies": ["Peanuts", "Latex"]}}"#).apply(to: &profile)
        try patch(#"{"medicalInfo": {"allergies": ["Dust"]}, "address": {"street": null}, "personalInfo": {"phone": null}}"#)
            .apply(to: &profile)
        XCTAssertEqual(profile.care?.sections["medicalInfo"]?["allergies"], .array([.string("Dust")]))
        XCTAssertNil(profile.care?.sections["address"]?["street"])
        XCTAssertEqual(profile.care?.text("address", "suburb"), "Melbourne")
        XCTAssertNil(profile.phone)
        try patch(#"{"address": null}"#).apply(to: &profile)
        XCTAssertNil(profile.care?.sections["address"])
    }

    func testARenameThroughCareRenamesTheClient() throws {
        var profile = try created()
        try patch(#"{"personalInfo": {"lastName": "Jones"}}"#).apply(to: &profile)
        XCTAssertEqual(profile.name, "Jane Jones")
    }

    func testEveryValidationRuleNamesItsField() throws {
        let cases: [(String, String, String)] = [
            (#"{"personalInfo": {"firstName": ""}}"#, "personalInfo.firstName", "must not be empty"),
            (#"{"personalInfo": {"lastName": "\#(String(repeating: "x", count: 101))"}}"#, "personalInfo.lastName",
             "must be at most 100 characters"),
            (#"{"personalInfo": {"email": "jane@"}}"#, "personalInfo.email", "Invalid email format"),
            (#"{"personalInfo": {"phone": "+1 555 1234"}}"#, "personalInfo.phone", "Invalid phone format: +61 and 9 digits, or 0 and 9 digits"),
            (#"{"personalInfo": {"phone": "040000000"}}"#, "personalInfo.phone", "Invalid phone format: +61 and 9 digits, or 0 and 9 digits"),
            (#"{"personalInfo": {"dateOfBirth": "1990-02-30"}}"#, "personalInfo.dateOfBirth", "must be a date (YYYY-MM-DD)"),
            (#"{"personalInfo": {"gender": "f"}}"#, "personalInfo.gender", "must be one of female, male, non-binary, other, prefer-not-to-say"),
            (#"{"address": {"state": "Victoria"}}"#, "address.state", "must be one of NSW, VIC, QLD, WA, SA, TAS, ACT, NT"),
            (#"{"address": {"postcode": "300"}}"#, "address.postcode", "must be four digits"),
            (#"{"ndisDetails": {"ndisNumber": "NDIS123456"}}"#, "ndisDetails.ndisNumber", "must be nine digits starting with 43"),
            (#"{"ndisDetails": {"ndisNumber": "520000001"}}"#, "ndisDetails.ndisNumber", "must be nine digits starting with 43"),
            (#"{"ndisDetails": {"planStartDate": "2025-01-01"}}"#, "ndisDetails.planEndDate", "must be on or after planStartDate"),
            (#"{"ndisDetails": {"planManager": "someone"}}"#, "ndisDetails.planManager", "must be a user id"),
            (#"{"ndisDetails": {"ndisNumber": null}}"#, "ndisDetails.ndisNumber", "is required"),
            (#"{"personalInfo": {"firstName": null}}"#, "personalInfo.firstName", "is required"),
            (#"{"personalInfo": {"nickname": "J"}}"#, "personalInfo.nickname", "is not a known field"),
            (#"{"hobbies": []}"#, "hobbies", "is not a known field"),
            (#"{"medicalInfo": {"allergies": "Peanuts"}}"#, "medicalInfo.allergies", "must be an array of strings"),
            (#"{"emergencyContacts": [{"name": "John", "relationship": "Parent"}]}"#, "emergencyContacts[0].phone", "is required"),
            (#"{"emergencyContacts": [{"name": "John", "relationship": "Parent", "phone": "12"}]}"#, "emergencyContacts[0].phone",
             "Invalid phone format: +61 and 9 digits, or 0 and 9 digits"),
            (#"{"emergencyContacts": {"name": "John"}}"#, "emergencyContacts", "must be an array"),
        ]
        let current = try created().care
        for (body, path, message) in cases {
            let issues = CareSchema.issues(of: try patch(body), against: current)
            XCTAssertEqual(issues, [CareIssue(path, message)], body)
        }
        let eleven = "[" + Array(repeating: #"{"name": "A", "relationship": "B", "phone": "0400000000"}"#, count: 11)
            .joined(separator: ",") + "]"
        XCTAssertEqual(CareSchema.issues(of: try patch(#"{"emergencyContacts": \#(eleven)}"#), against: current),
                       [CareIssue("emergencyContacts", "must list at most 10 contacts")])
    }

    func testAFirstCareWriteNeedsTheRequiredFields() throws {
        XCTAssertEqual(CareSchema.issues(of: try patch(#"{"address": {"postcode": "3000"}}"#), against: nil), [
            CareIssue("personalInfo.firstName", "is required"), CareIssue("personalInfo.lastName", "is required"),
            CareIssue("ndisDetails.ndisNumber", "is required"),
        ])
    }

    func testTheDeciderRefusesBrokenSectionsWithoutTheirValues() async throws {
        var broken = try created()
        broken.care = broken.care?.merging(try patch(#"{"medicalInfo": {"conditions": [""]}}"#))
        do {
            _ = try await ClientDecider().decide(.create(CreateClient(clientId: UUID(), tenantId: tenant, profile: broken)),
                                                 current: nil, lookup: FixedLookup())
            XCTFail("accepted")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .invalidArgument)
            XCTAssertEqual(error.message, "medicalInfo.conditions must not hold empty items")
        }
    }

    func testAnUpdateCarriesThePatchAndReplaysToTheMergedProfile() async throws {
        let client = Client(id: UUID(), tenantId: tenant, profile: try created(), version: 1, createdAt: start, updatedAt: start,
                            isDeleted: false)
        var changes = ClientProfileChanges()
        changes.care = try patch(#"{"ndisDetails": {"supportCoordinator": "\#(coordinator)"}}"#)
        let events = try await ClientDecider().decide(.update(UpdateClient(clientId: client.id, tenantId: tenant, changes: changes)),
                                                      current: client, lookup: FixedLookup())
        XCTAssertEqual(events, [.profileChanged(ClientProfileChanged(changes: changes))])
        // The event's JSON reads back to the same patch, and the fold gives the merged sections.
        let envelope = EventEnvelope(type: events[0].type, schemaVersion: events[0].schemaVersion, streamId: client.id,
                                     streamVersion: 2, tenantId: tenant, occurredAt: start, actor: Actor(kind: .user, id: "u"),
                                     correlationId: "c", causationId: nil, data: try events[0].encode())
        XCTAssertEqual(try ClientEvent.decode(envelope), events[0])
        var after = client
        after.apply(events[0], at: start)
        XCTAssertEqual(after.profile.care?.supportCoordinator, coordinator)
        XCTAssertEqual(after.profile.care?.ndisNumber, "430000001")
        let again = try await ClientDecider().decide(.update(UpdateClient(clientId: client.id, tenantId: tenant, changes: changes)),
                                                     current: after, lookup: FixedLookup())
        XCTAssertEqual(again, [], "a patch that changes nothing records nothing")
    }

    func testTheProfileJSONAndCodableAgree() throws {
        let profile = try created()
        let viaCodable = try JSONDecoder().decode(ClientProfile.self, from: JSONEncoder().encode(profile))
        XCTAssertEqual(viaCodable, profile)
        XCTAssertEqual(try ClientProfile(json: JSONObjectReader(profile.json)), profile)
    }
}
