import ClientDomain
import Foundation
import InternalAPI
import Postgres
import Projection
import SearchReadModel
import XCTest

/// The read model's leads fields (numbers, agents, portal sign-up) and the queries the leads
/// API makes with them, against real PostgreSQL and the real broker.
final class SearchProjectionLeadsTests: XCTestCase {
    func testNumbersAgentsPortalAndScopesAcrossTenants() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 2)
        var script = EventScript()
        let acme = UUID()
        let globex = UUID()
        let ann = UUID()
        let bob = UUID()
        let cy = UUID()
        let agent42 = AgentAssignment(agentId: 42, agentName: "Ahmed Ali")
        let agent7 = AgentAssignment(agentId: 7, agentName: "Sam")
        var events = [
            try script.create(ann, tenant: acme, ClientProfile(name: "Ann", email: "ann@example.com", address: "Dubai, UAE",
                                                                source: "referral", agents: [agent42]), number: 1),
            try script.create(bob, tenant: acme, ClientProfile(name: "Bob", email: "bob@example.com", agents: [agent7, agent42]),
                              number: 2),
            try script.create(cy, tenant: globex, ClientProfile(name: "Cy", email: "cy@example.com", agents: [agent42]), number: 3),
        ]
        // Agents are replaced, the portal password set, one client deleted.
        events.append(try script.change(bob, tenant: acme, ClientProfileChanges(agents: .set([agent7]))))
        events.append(try script.event(.portalPasswordSet(ClientPortalPasswordSet()), client: ann, tenant: acme))
        events.append(try script.delete(cy, tenant: globex))
        let runner = fixture.runner()
        try await fixture.catchUp(runner, to: try await fixture.produce(events))
        await runner.close()

        let search = ClientSearch(pool: fixture.pool)
        let annRecord = try await search.list(ClientListQuery(scope: .tenants([acme, globex]), number: 1)).data.first
        XCTAssertEqual(annRecord?.id, ann)
        XCTAssertEqual(annRecord?.number, 1)
        XCTAssertEqual(annRecord?.hasJoined, true)
        XCTAssertEqual(annRecord?.profile.address, "Dubai, UAE")
        XCTAssertEqual(annRecord?.profile.source, "referral")
        XCTAssertEqual(annRecord?.profile.agents, [agent42])
        XCTAssertEqual(annRecord?.createdBy, script.actor)

        // A number outside the scope is not found; every tenant finds it.
        let outside = try await search.list(ClientListQuery(scope: .tenants([globex]), number: 1))
        XCTAssertEqual(outside.total, 0)
        let everywhere = try await search.list(ClientListQuery(scope: .everyTenant, number: 2))
        XCTAssertEqual(everywhere.data.map(\.id), [bob])

        // Agent 42 keeps Ann only: Bob's agents were replaced, Cy is deleted.
        let forAgent42 = try await search.list(ClientListQuery(scope: .everyTenant, agent: 42))
        XCTAssertEqual(forAgent42.data.map(\.id), [ann])
        let forAgent7 = try await search.list(ClientListQuery(scope: .tenants([acme]), agent: 7))
        XCTAssertEqual(forAgent7.data.map(\.id), [bob])

        // Several tenants at once, newest first; a deleted client keeps no personal data or number.
        let both = try await search.list(ClientListQuery(scope: .tenants([acme, globex]), sortBy: .createdAt, sortOrder: .desc))
        XCTAssertEqual(both.data.map(\.id), [bob, ann])
        let tombstone = try await fixture.pool.query(
            "SELECT number, address, agents, agent_ids, created_by, deleted FROM clients WHERE id = $1", [cy])[0]
        XCTAssertNil(try tombstone.decodeIfPresent(0, as: Int64.self))
        XCTAssertNil(try tombstone.decodeIfPresent(4, as: String.self))
        XCTAssertTrue(try tombstone.decode(5, as: Bool.self))
    }
}
