import ClientDomain
import Errors
import Foundation
import XCTest

/// An in-memory lookup over a fixed set of (tenant, email, client) rows.
struct FixedLookup: ClientLookup {
    var rows: [(tenant: UUID, email: String, client: UUID)] = []
    func clientId(withEmail email: String, tenantId: UUID) async throws -> UUID? {
        rows.first { $0.tenant == tenantId && $0.email.lowercased() == email.lowercased() }?.client
    }
}

final class ClientDeciderTests: XCTestCase {
    let tenant = UUID()
    let otherTenant = UUID()
    let decider = ClientDecider()
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    func existing(_ profile: ClientProfile = ClientProfile(name: "Jane", phone: "+1 555", status: .active)) -> Client {
        Client(id: UUID(), tenantId: tenant, profile: profile, version: 3, createdAt: start, updatedAt: start, isDeleted: false)
    }

    func testCreateProducesCreatedWithTheProfile() async throws {
        let profile = ClientProfile(name: "John Doe", phone: "+1 555-1234")
        let events = try await decider.decide(.create(CreateClient(clientId: UUID(), tenantId: tenant, profile: profile)),
                                              current: nil, lookup: FixedLookup())
        XCTAssertEqual(events, [.created(ClientCreated(profile: profile))])
        XCTAssertEqual(profile.status, .active)
    }

    func testCreateOfAnExistingIdConflicts() async {
        await assertError(.conflict) {
            _ = try await self.decider.decide(.create(CreateClient(clientId: UUID(), tenantId: self.tenant, profile: ClientProfile(name: "x"))),
                                              current: self.existing(), lookup: FixedLookup())
        }
    }

    func testInvalidFieldsAreNamed() async {
        let cases: [(ClientProfile, String)] = [
            (ClientProfile(name: "   "), "name"),
            (ClientProfile(name: String(repeating: "a", count: 201)), "name"),
            (ClientProfile(name: "a", email: "not-an-email"), "email"),
            (ClientProfile(name: "a", email: "a@b"), "email"),
            (ClientProfile(name: "a", phone: String(repeating: "1", count: 51)), "phone"),
            (ClientProfile(name: "a", notes: String(repeating: "n", count: 10_001)), "notes"),
            (ClientProfile(name: "a", address: String(repeating: "d", count: 501)), "address"),
            (ClientProfile(name: "a", source: String(repeating: "s", count: 101)), "source"),
            (ClientProfile(name: "a", agents: [AgentAssignment(agentId: 0, agentName: "Zero")]), "agents"),
            (ClientProfile(name: "a", agents: [AgentAssignment(agentId: 4, agentName: "A"), AgentAssignment(agentId: 4, agentName: "B")]),
             "agents"),
            (ClientProfile(name: "a", agents: (1...51).map { AgentAssignment(agentId: Int64($0), agentName: "n") }), "agents"),
        ]
        for (profile, field) in cases {
            do {
                _ = try await decider.decide(.create(CreateClient(clientId: UUID(), tenantId: tenant, profile: profile)),
                                             current: nil, lookup: FixedLookup())
                XCTFail("expected \(field) to be rejected")
            } catch let error as ClienteleError {
                XCTAssertEqual(error.code, .invalidArgument)
                XCTAssertEqual(error.context["field"], field)
            } catch {
                XCTFail("unexpected \(error)")
            }
        }
    }

    func testCreateCarriesTheDrawnNumber() async throws {
        let profile = ClientProfile(name: "Jane", email: "jane@example.com", agents: [AgentAssignment(agentId: 42, agentName: "Ahmed")])
        let events = try await decider.decide(.create(CreateClient(clientId: UUID(), tenantId: tenant, profile: profile, number: 17)),
                                              current: nil, lookup: FixedLookup())
        XCTAssertEqual(events, [.created(ClientCreated(profile: profile, number: 17))])
    }

    func testPortalPasswordIsRecordedOnLiveClientsOfTheTenantOnly() async throws {
        let client = existing()
        let events = try await decider.decide(.setPortalPassword(SetPortalPassword(clientId: client.id, tenantId: tenant)),
                                              current: client, lookup: FixedLookup())
        XCTAssertEqual(events, [.portalPasswordSet(ClientPortalPasswordSet())])
        var joined = client
        joined.apply(events[0], at: start.addingTimeInterval(5))
        XCTAssertTrue(joined.hasJoined)
        XCTAssertEqual(joined.version, client.version + 1)
        await assertError(.notFound) {
            _ = try await self.decider.decide(.setPortalPassword(SetPortalPassword(clientId: client.id, tenantId: self.otherTenant)),
                                              current: client, lookup: FixedLookup())
        }
        await assertError(.notFound) {
            _ = try await self.decider.decide(.setPortalPassword(SetPortalPassword(clientId: UUID(), tenantId: self.tenant)),
                                              current: nil, lookup: FixedLookup())
        }
    }

    func testAgentsAreReplacedAsAWholeList() async throws {
        let client = existing(ClientProfile(name: "J", agents: [AgentAssignment(agentId: 1, agentName: "One")]))
        let replaced = [AgentAssignment(agentId: 2, agentName: "Two")]
        let events = try await decider.decide(.update(UpdateClient(clientId: client.id, tenantId: tenant,
                                                                   changes: ClientProfileChanges(agents: .set(replaced)))),
                                              current: client, lookup: FixedLookup())
        XCTAssertEqual(events, [.profileChanged(ClientProfileChanged(changes: ClientProfileChanges(agents: .set(replaced))))])
        let same = try await decider.decide(.update(UpdateClient(clientId: client.id, tenantId: tenant,
                                                                 changes: ClientProfileChanges(agents: .set(client.profile.agents!)))),
                                            current: client, lookup: FixedLookup())
        XCTAssertEqual(same, [], "the same list changes nothing")
    }

    func testEmailIsUniqueWithinATenantOnly() async throws {
        let owner = UUID()
        let lookup = FixedLookup(rows: [(tenant, "taken@example.com", owner)])
        await assertError(.conflict, field: "email") {
            _ = try await self.decider.decide(.create(CreateClient(clientId: UUID(), tenantId: self.tenant,
                                                                   profile: ClientProfile(name: "a", email: "TAKEN@example.com"))),
                                              current: nil, lookup: lookup)
        }
        // The same email in another tenant is fine, and so is the owner keeping its own email.
        _ = try await decider.decide(.create(CreateClient(clientId: UUID(), tenantId: otherTenant,
                                                          profile: ClientProfile(name: "a", email: "taken@example.com"))),
                                     current: nil, lookup: lookup)
        let client = Client(id: owner, tenantId: tenant, profile: ClientProfile(name: "o", email: "taken@example.com"),
                            version: 1, createdAt: start, updatedAt: start, isDeleted: false)
        let events = try await decider.decide(.update(UpdateClient(clientId: owner, tenantId: tenant, changes: ClientProfileChanges(name: .set("p")))),
                                              current: client, lookup: lookup)
        XCTAssertEqual(events.count, 1)
    }

    func testUpdateRecordsOnlyWhatChanges() async throws {
        let client = existing()
        let events = try await decider.decide(.update(UpdateClient(clientId: client.id, tenantId: tenant,
                                                                   changes: ClientProfileChanges(name: .set("Jane"), phone: .cleared, status: .inactive))),
                                              current: client, lookup: FixedLookup())
        XCTAssertEqual(events, [.profileChanged(ClientProfileChanged(changes: ClientProfileChanges(phone: .cleared, status: .inactive)))])
        let noop = try await decider.decide(.update(UpdateClient(clientId: client.id, tenantId: tenant,
                                                                 changes: ClientProfileChanges(name: .set("Jane"), status: .active))),
                                            current: client, lookup: FixedLookup())
        XCTAssertEqual(noop, [])
    }

    func testStaleExpectedVersionFailsThePrecondition() async {
        let client = existing()
        await assertError(.preconditionFailed) {
            _ = try await self.decider.decide(.update(UpdateClient(clientId: client.id, tenantId: self.tenant,
                                                                   changes: ClientProfileChanges(name: .set("x")), expectedVersion: 2)),
                                              current: client, lookup: FixedLookup())
        }
        await assertError(.preconditionFailed) {
            _ = try await self.decider.decide(.delete(DeleteClient(clientId: client.id, tenantId: self.tenant, expectedVersion: 4)),
                                              current: client, lookup: FixedLookup())
        }
    }

    func testAnotherTenantsClientAndADeletedClientAreNotFound() async {
        let client = existing()
        await assertError(.notFound) {
            _ = try await self.decider.decide(.update(UpdateClient(clientId: client.id, tenantId: self.otherTenant,
                                                                   changes: ClientProfileChanges(name: .set("x")))),
                                              current: client, lookup: FixedLookup())
        }
        var deleted = client
        deleted.apply(.deleted(ClientDeleted()), at: start)
        await assertError(.notFound) {
            _ = try await self.decider.decide(.delete(DeleteClient(clientId: client.id, tenantId: self.tenant)),
                                              current: deleted, lookup: FixedLookup())
        }
        await assertError(.notFound) {
            _ = try await self.decider.decide(.delete(DeleteClient(clientId: UUID(), tenantId: self.tenant)), current: nil, lookup: FixedLookup())
        }
    }

    /// Erasure is allowed on a live and on a deleted client of the tenant, once; afterwards
    /// every command answers not found, as for a stream that does not exist.
    func testEraseIsAllowedOnAnyExistingClientOnceAndEndsTheStream() async throws {
        let live = existing()
        let erase = ClientCommand.erase(EraseClient(clientId: live.id, tenantId: tenant))
        let events = try await decider.decide(erase, current: live, lookup: FixedLookup())
        XCTAssertEqual(events, [.erased(ClientErased())])

        var deleted = live
        deleted.apply(.deleted(ClientDeleted()), at: start)
        let afterDeletion = try await decider.decide(erase, current: deleted, lookup: FixedLookup())
        XCTAssertEqual(afterDeletion, [.erased(ClientErased())])

        var erased = live
        erased.apply(.erased(ClientErased()), at: start)
        XCTAssertTrue(erased.isErased)
        XCTAssertTrue(erased.isDeleted)
        let id = live.id
        let commands: [ClientCommand] = [
            erase,
            .update(UpdateClient(clientId: id, tenantId: tenant, changes: ClientProfileChanges(name: .set("x")))),
            .delete(DeleteClient(clientId: id, tenantId: tenant)),
            .setPortalPassword(SetPortalPassword(clientId: id, tenantId: tenant)),
            .recordActivity(RecordActivity(clientId: id, tenantId: tenant, submission: true)),
            .removeDocument(RemoveDocument(clientId: id, tenantId: tenant, documentId: UUID())),
            .changeCareRecord(ChangeCareRecord(clientId: id, tenantId: tenant, kind: .goal, change: .added, id: UUID(),
                                               fields: ["title": "t"])),
        ]
        for command in commands {
            await assertError(.notFound) { _ = try await self.decider.decide(command, current: erased, lookup: FixedLookup()) }
        }
    }

    func testEraseOfAnotherTenantsOrAMissingClientIsNotFound() async {
        let client = existing()
        await assertError(.notFound) {
            _ = try await self.decider.decide(.erase(EraseClient(clientId: client.id, tenantId: self.otherTenant)),
                                              current: client, lookup: FixedLookup())
        }
        await assertError(.notFound) {
            _ = try await self.decider.decide(.erase(EraseClient(clientId: UUID(), tenantId: self.tenant)), current: nil,
                                              lookup: FixedLookup())
        }
    }

    private func assertError(_ code: ClienteleError.Code, field: String? = nil, file: StaticString = #filePath, line: UInt = #line,
                             _ body: @escaping () async throws -> Void) async {
        do {
            try await body()
            XCTFail("expected \(code.rawValue)", file: file, line: line)
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, code, file: file, line: line)
            if let field { XCTAssertEqual(error.context["field"], field, file: file, line: line) }
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }
}
