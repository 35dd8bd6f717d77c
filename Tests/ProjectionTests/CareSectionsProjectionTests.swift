import ClientDomain
import EventStore
import Foundation
import InternalAPI
import JSON
import Projection
import SearchReadModel
import XCTest

/// The care sections through both projections, against real PostgreSQL and the real broker:
/// the search read model folds the merge patches into the same sections the domain does,
/// filters by NDIS number and relation, pages by id for exports, drops the sections from a
/// tombstone, and a replay into a fresh database restores them; the stats projection applies
/// the events (a new status included) and parks nothing.
final class CareSectionsProjectionTests: XCTestCase {
    func patch(_ text: String) throws -> CarePatch {
        try CarePatch(json: JSONObjectReader(JSONParser.parse(Array(text.utf8))))
    }

    func testSearchKeepsTheCareSectionsAndStatsParksNothing() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 2)
        let stats = try await StatsFixture.make(on: fixture)
        var script = EventScript()
        let tenant = UUID()
        let (jane, gone) = (UUID(), UUID())
        let coordinator = UUID()
        var profile = ClientProfile()
        try patch(#"{"personalInfo": {"firstName": "Jane", "lastName": "Smith", "email": "jane@example.com"},"#
                  + #" "ndisDetails": {"ndisNumber": "430000001"}, "medicalInfo": {"allergies": ["Peanuts"]}}"#).apply(to: &profile)
        var goneProfile = ClientProfile()
        try patch(#"{"personalInfo": {"firstName": "Gone", "lastName": "Away"}, "ndisDetails": {"ndisNumber": "430000002"}}"#)
            .apply(to: &goneProfile)
        var changes = ClientProfileChanges(status: .terminated)
        changes.care = try patch(#"{"ndisDetails": {"supportCoordinator": "\#(coordinator.lowercasedString)"},"#
                                 + #" "medicalInfo": {"allergies": ["Latex"]}, "address": {"postcode": "3000"}}"#)
        let events = [
            try script.create(jane, tenant: tenant, profile, number: 1),
            try script.event(.profileChanged(ClientProfileChanged(changes: changes)), client: jane, tenant: tenant),
            try script.create(gone, tenant: tenant, goneProfile, number: 2),
            try script.delete(gone, tenant: tenant),
        ]
        var expected = profile.applying(changes)
        expected.status = .terminated
        let ends = try await fixture.produce(events)
        let runner = fixture.runner()
        try await fixture.catchUp(runner, to: ends)
        await runner.close()
        let statsRunner = stats.runner()
        try await fixture.catchUp(statsRunner, to: ends)
        XCTAssertNil(statsRunner.parkedVersion(of: jane), "the stats projection applies care changes")
        await statsRunner.close()

        let search = ClientSearch(pool: fixture.pool)
        var query = ClientListQuery(scope: .tenants([tenant]))
        query.care.ndisNumber = "430000001"
        let found = try await search.list(query).data.first
        let record = try XCTUnwrap(found)
        XCTAssertEqual(record.profile, expected)
        XCTAssertEqual(record.profile.care?.sections["medicalInfo"]?["allergies"], .array(["Latex"]))
        XCTAssertEqual(record.profile.status, .terminated)
        query = ClientListQuery(scope: .tenants([tenant]))
        query.care.coordinatedBy = coordinator
        query.care.planManagedBy = coordinator
        let related = try await search.list(query).data.map(\.id)
        XCTAssertEqual(related, [jane])
        query = ClientListQuery(scope: .tenants([tenant]))
        query.care.text = "0001"
        let byNumber = try await search.list(query).data.map(\.id)
        XCTAssertEqual(byNumber, [jane], "search finds the NDIS number")
        query = ClientListQuery(scope: .tenants([tenant]), limit: 1)
        query.care.keyset = true
        let firstPage = try await search.list(query)
        XCTAssertEqual(firstPage.total, -1)
        query.care.after = firstPage.data.last?.id
        let after = try await search.list(query).data
        XCTAssertEqual(after, [], "the keyset page after the only client is empty")
        let tombstone = try await fixture.pool.query("SELECT care, ndis_number FROM clients WHERE id = $1", [gone])[0]
        XCTAssertNil(try tombstone.decodeIfPresent(0, as: String.self), "a tombstone keeps no care sections")
        XCTAssertNil(try tombstone.decodeIfPresent(1, as: String.self))

        // The same log into a fresh read model restores the same sections.
        let sibling = try await fixture.sibling()
        let again = sibling.runner()
        try await sibling.catchUp(again, to: ends)
        await again.close()
        let rebuilt = try await ClientSearch(pool: sibling.pool).list(ClientListQuery(scope: .tenants([tenant]), number: 1))
        XCTAssertEqual(rebuilt.data.first?.profile, expected)
    }
}
