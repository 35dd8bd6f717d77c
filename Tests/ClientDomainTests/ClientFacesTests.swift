import ClientDomain
import Errors
import Foundation
import XCTest

/// One client, many faces: the email and phone the other APIs show and the contact methods
/// the workspace API shows stay in agreement, whichever face writes (`ClientProfile+Contacts`).
final class ClientFacesTests: XCTestCase {
    let tenant = UUID()
    let decider = ClientDecider()
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    func method(_ type: ContactType, _ value: String, preferred: Bool = false) -> ContactMethod {
        ContactMethod(type: type, value: value, isPreferred: preferred)
    }

    func created(_ profile: ClientProfile) async throws -> Client {
        let id = UUID()
        let events = try await decider.decide(.create(CreateClient(clientId: id, tenantId: tenant, profile: profile)),
                                              current: nil, lookup: FixedLookup())
        guard case .created(let created)? = events.first else { throw UnexpectedEvents() }
        return Client(id: id, tenantId: tenant, profile: created.profile, version: 1, createdAt: start, updatedAt: start,
                      isDeleted: false)
    }

    func updated(_ client: Client, _ changes: ClientProfileChanges) async throws -> (Client, ClientProfileChanges?) {
        let events = try await decider.decide(.update(UpdateClient(clientId: client.id, tenantId: tenant, changes: changes)),
                                              current: client, lookup: FixedLookup())
        var client = client
        for event in events { client.apply(event, at: start) }
        guard case .profileChanged(let changed)? = events.first else { return (client, nil) }
        return (client, changed.changes)
    }

    func workspaceProfile(_ methods: [ContactMethod]) -> ClientProfile {
        var profile = ClientProfile(name: "John Doe")
        profile.workspace = WorkspaceFields(contactMethods: methods)
        return profile
    }

    func testContactMethodsSetEmailAndPhoneOnCreate() async throws {
        let client = try await created(workspaceProfile([method(.whatsapp, "+1999"), method(.phone, "+1234567890"),
                                                         method(.email, "a@example.com"), method(.email, "b@example.com", preferred: true),
                                                         method(.phone, "+1555000111")]))
        XCTAssertEqual(client.profile.email, "b@example.com", "the preferred email")
        XCTAssertEqual(client.profile.phone, "+1234567890", "the first phone: WhatsApp is not a phone")
    }

    func testAClientOfAnotherFaceShowsContactMethodsDerivedFromEmailAndPhone() async throws {
        let client = try await created(ClientProfile(name: "Org", email: "o@example.com", phone: "555-1234"))
        XCTAssertNil(client.profile.workspace)
        XCTAssertEqual(client.profile.contactMethods, [method(.email, "o@example.com", preferred: true), method(.phone, "555-1234")])
        XCTAssertEqual(ClientProfile(name: "p", phone: "555").contactMethods, [method(.phone, "555", preferred: true)])
        XCTAssertEqual(ClientProfile(name: "none").contactMethods, [])
    }

    func testAnotherFaceSettingThePhoneChangesTheMethodItComesFrom() async throws {
        let client = try await created(workspaceProfile([method(.phone, "+1234567890", preferred: true), method(.email, "j@example.com"),
                                                         method(.phone, "+1999999999")]))
        let (after, changes) = try await updated(client, ClientProfileChanges(phone: .set("+1999999999")))
        XCTAssertEqual(after.profile.phone, "+1999999999")
        XCTAssertEqual(after.profile.workspace?.contactMethods,
                       [method(.phone, "+1999999999", preferred: true), method(.email, "j@example.com")],
                       "the source method takes the value; the other method holding it goes")
        XCTAssertNotNil(changes?.workspace?.contactMethods, "the event carries the new list")
    }

    func testAnotherFaceSettingAnEmailAppendsAMethodWhenThereIsNone() async throws {
        let client = try await created(workspaceProfile([method(.phone, "+1234567890", preferred: true)]))
        let (after, _) = try await updated(client, ClientProfileChanges(email: .set("new@example.com")))
        XCTAssertEqual(after.profile.email, "new@example.com")
        XCTAssertEqual(after.profile.workspace?.contactMethods,
                       [method(.phone, "+1234567890", preferred: true), method(.email, "new@example.com")])
    }

    func testClearingThePhoneElsewhereRemovesEveryPhoneMethodAndMovesThePreference() async throws {
        let client = try await created(workspaceProfile([method(.phone, "+1234567890", preferred: true), method(.email, "j@example.com"),
                                                         method(.phone, "+1999999999")]))
        let (after, _) = try await updated(client, ClientProfileChanges(phone: .cleared))
        XCTAssertNil(after.profile.phone)
        XCTAssertEqual(after.profile.workspace?.contactMethods, [method(.email, "j@example.com", preferred: true)])
        XCTAssertEqual(after.profile.email, "j@example.com")
        let (none, _) = try await updated(after, ClientProfileChanges(email: .cleared))
        XCTAssertNil(none.profile.workspace, "no methods left: nothing set")
        XCTAssertEqual(none.profile.contactMethods, [])
    }

    func testNewContactMethodsReplaceEmailAndPhoneInTheSameEvent() async throws {
        let client = try await created(ClientProfile(name: "Org", email: "o@example.com", phone: "555-1234"))
        var changes = ClientProfileChanges()
        changes.workspace = WorkspaceFieldChanges(contactMethods: [method(.whatsapp, "+1234567890", preferred: true)])
        let (after, event) = try await updated(client, changes)
        XCTAssertNil(after.profile.email)
        XCTAssertNil(after.profile.phone)
        XCTAssertEqual(event?.email, .cleared)
        XCTAssertEqual(event?.phone, .cleared)
        XCTAssertEqual(after.profile.contactMethods, [method(.whatsapp, "+1234567890", preferred: true)])
    }

    func testCustomFieldsMergeByKeyAndNullRemoves() async throws {
        var profile = workspaceProfile([method(.phone, "+1234567890", preferred: true)])
        profile.workspace?.customFields = ["a": .text("1"), "b": .integer(2)]
        let client = try await created(profile)
        var changes = ClientProfileChanges()
        changes.workspace = WorkspaceFieldChanges(customFields: ["a": nil, "c": .boolean(true), "b": .integer(2), "zz": nil])
        let (after, event) = try await updated(client, changes)
        XCTAssertEqual(after.profile.workspace?.customFields, ["b": .integer(2), "c": .boolean(true)])
        XCTAssertEqual(event?.workspace, WorkspaceFieldChanges(customFields: ["a": nil, "c": .boolean(true)]),
                       "only what changes is in the event")
        let (same, none) = try await updated(after, changes)
        XCTAssertNil(none, "nothing changes: no event")
        XCTAssertEqual(same.version, after.version)
    }

    func testTheDeciderRefusesContactMethodsThatBreakARule() async {
        for (methods, field) in [([method(.phone, "+1", preferred: true), method(.phone, "+1")], "contactMethods[1].value"),
                                 ([method(.phone, "+1"), method(.email, "e@example.com")], "contactMethods")] {
            do {
                _ = try await created(workspaceProfile(methods))
                XCTFail("expected \(field) to be refused")
            } catch let error as ClienteleError {
                XCTAssertEqual(error.code, .invalidArgument)
                XCTAssertEqual(error.context["field"], field)
            } catch {
                XCTFail("unexpected \(error)")
            }
        }
    }

    func testTheEmailOfContactMethodsIsUniqueInTheTenant() async {
        let other = UUID()
        let lookup = FixedLookup(rows: [(tenant: tenant, email: "taken@example.com", client: other)])
        do {
            _ = try await decider.decide(.create(CreateClient(clientId: UUID(), tenantId: tenant,
                                                              profile: workspaceProfile([method(.email, "taken@example.com", preferred: true)]))),
                                         current: nil, lookup: lookup)
            XCTFail("expected a conflict")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .conflict)
        } catch {
            XCTFail("unexpected \(error)")
        }
    }
}

private struct UnexpectedEvents: Error {}
