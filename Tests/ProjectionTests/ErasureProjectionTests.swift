import ClientDomain
import EventLog
import Foundation
import InternalAPI
import JSON
import Postgres
import Projection
import SearchReadModel
import XCTest

/// `client.erased` through both projections, against real PostgreSQL and the real broker: the
/// erased clients (one live, one deleted before) keep an ids-only tombstone in the search
/// model and nothing else (no appointment rows, no carer's list rows), stats count each away once, nothing parks,
/// the other client is untouched, and a replay into fresh read models shows nothing of them.
final class ErasureProjectionTests: XCTestCase {
    static let personal = ["Erin", "Eraseme", "erin@example.com", "+61 400 111 222", "430000099", "Gary", "gary@example.com"]

    func testErasureLeavesOnlyIdsInBothReadModelsAndARebuildShowsNothing() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 2)
        let stats = try await StatsFixture.make(on: fixture)
        var script = EventScript()
        let tenant = UUID()
        let (keeper, erin, gary) = (UUID(), UUID(), UUID())
        var erinProfile = ClientProfile(name: "Erin Eraseme", email: "erin@example.com", phone: "+61 400 111 222",
                                        notes: "Erin's notes", status: .active, companyName: "Acme")
        try CarePatch(json: JSONObjectReader(JSONParser.parse(Array(#"{"ndisDetails": {"ndisNumber": "430000099"}}"#.utf8))))
            .apply(to: &erinProfile)
        let appointment = ClientCareRecordChanged(kind: .appointment, change: .added, record: CareRecord(
            id: UUID(), fields: ["healthCarerId": .string(UUID().lowercasedString), "startsAt": "2026-01-05T22:00:00.000Z",
                                 "endsAt": "2026-01-05T23:00:00.000Z", "serviceType": "Support", "status": "scheduled"]),
            fields: ["serviceType"])
        let events = [
            try script.create(keeper, tenant: tenant, ClientProfile(name: "Kept Client", email: "kept@example.com", status: .active),
                              number: 1),
            try script.create(erin, tenant: tenant, erinProfile, number: 2),
            try script.event(.careRecordChanged(appointment), client: erin, tenant: tenant),
            try script.event(.activityRecorded(ClientActivityRecorded(submission: true)), client: erin, tenant: tenant),
            try script.create(gary, tenant: tenant, ClientProfile(name: "Gary", email: "gary@example.com", status: .trial), number: 3),
            try script.delete(gary, tenant: tenant),
            try script.event(.erased(ClientErased()), client: erin, tenant: tenant),
            try script.event(.erased(ClientErased()), client: gary, tenant: tenant),
        ]
        let ends = try await fixture.produce(events)
        let search = fixture.runner()
        try await fixture.catchUp(search, to: ends)
        XCTAssertNil(search.parkedVersion(of: erin))
        XCTAssertNil(search.parkedVersion(of: gary))
        await search.close()
        let statsRunner = stats.runner()
        try await fixture.catchUp(statsRunner, to: ends)
        XCTAssertNil(statsRunner.parkedVersion(of: erin))
        XCTAssertNil(statsRunner.parkedVersion(of: gary))
        await statsRunner.close()
        try await assertOnlyIdsLeft(search: fixture.pool, stats: stats, tenant: tenant, keeper: keeper, erased: [erin, gary],
                                    versions: [erin: 4, gary: 3])

        // A replay of the whole log into fresh read models (a rebuild) shows nothing more.
        let sibling = try await fixture.sibling()
        let again = sibling.runner()
        try await sibling.catchUp(again, to: ends)
        await again.close()
        let freshStats = try await StatsFixture.make(on: fixture)
        let statsAgain = freshStats.runner()
        try await fixture.catchUp(statsAgain, to: ends)
        await statsAgain.close()
        try await assertOnlyIdsLeft(search: sibling.pool, stats: freshStats, tenant: tenant, keeper: keeper, erased: [erin, gary],
                                    versions: [erin: 4, gary: 3])
    }

    private func assertOnlyIdsLeft(search pool: PostgresPool, stats: StatsFixture, tenant: UUID, keeper: UUID, erased: [UUID],
                                   versions: [UUID: Int64], file: StaticString = #filePath, line: UInt = #line) async throws {
        let listed = try await ClientSearch(pool: pool).list(ClientListQuery(scope: .tenants([tenant])))
        XCTAssertEqual(listed.data.map(\.id), [keeper], "only the other client is listed", file: file, line: line)
        XCTAssertEqual(listed.data.first?.profile.name, "Kept Client", file: file, line: line)
        for id in erased {
            let rows = try await pool.query("SELECT to_jsonb(c)::text, deleted, version FROM clients c WHERE id = $1", [id])
            XCTAssertEqual(rows.count, 1, "an ids-only tombstone stays as the version guard", file: file, line: line)
            let text = try rows[0].decode(0, as: String.self)
            for value in Self.personal { XCTAssertFalse(text.contains(value), "the tombstone holds \(value)", file: file, line: line) }
            XCTAssertTrue(try rows[0].decode(1, as: Bool.self), file: file, line: line)
            XCTAssertEqual(try rows[0].decode(2, as: Int64.self), versions[id], file: file, line: line)
            let kept = try await pool.query("""
                SELECT key FROM clients c, jsonb_each(to_jsonb(c))
                WHERE c.id = $1 AND value NOT IN ('null'::jsonb, 'false'::jsonb, '0'::jsonb, '[]'::jsonb) ORDER BY key
                """, [id]).map { try $0.decode(0, as: String.self) }
            // The two effective columns are generated from the (absent) profile: the defaults.
            XCTAssertEqual(kept, ["account_type_effective", "deleted", "id", "plan_effective", "tenant_id", "version"],
                           "nothing but ids is left", file: file, line: line)
        }
        let appointments = try await pool.query("SELECT count(*) FROM care_appointments WHERE client_id = ANY($1::uuid[])",
                                                ["{" + erased.map(\.lowercasedString).joined(separator: ",") + "}"])
        XCTAssertEqual(try appointments[0].decode(0, as: Int64.self), 0, "no appointment row is left", file: file, line: line)
        let listRows = try await pool.query("SELECT count(*) FROM care_carer_clients WHERE client_id = ANY($1::uuid[])",
                                            ["{" + erased.map(\.lowercasedString).joined(separator: ",") + "}"])
        XCTAssertEqual(try listRows[0].decode(0, as: Int64.self), 0, "no carer's list keeps an erased client", file: file, line: line)
        let figures = try await stats.stats(.tenants([tenant]), asOf: Date(timeIntervalSince1970: 1_760_000_000))
        XCTAssertEqual(figures.overview.totalClients, 1, "each erased client is counted away once", file: file, line: line)
        let statsRows = try await stats.pool.query("""
            SELECT count(*) FROM stats_clients WHERE id = ANY($1::uuid[]) AND NOT (deleted AND status IS NULL AND company IS NULL)
            """, ["{" + erased.map(\.lowercasedString).joined(separator: ",") + "}"])
        XCTAssertEqual(try statsRows[0].decode(0, as: Int64.self), 0, file: file, line: line)
        let companies = try await stats.pool.query("SELECT count(*) FROM stats_counts WHERE value = 'Acme'")
        XCTAssertEqual(try companies[0].decode(0, as: Int64.self), 0, "no counter keeps the erased client's values", file: file, line: line)
    }
}
