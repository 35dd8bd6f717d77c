import ClientDomain
import Foundation
import InternalAPI
import JSON
import Postgres
import Projection
import SearchReadModel
import XCTest

/// The read models and the workspace API's fields (contact methods, custom fields), against
/// real PostgreSQL and the real broker: the search read model stores them and answers the
/// workspace's keyset pages and filters; the stats read model applies the same events.
final class SearchProjectionWorkspaceTests: XCTestCase {
    func method(_ type: ContactType, _ value: String, preferred: Bool = false) -> ContactMethod {
        ContactMethod(type: type, value: value, isPreferred: preferred)
    }

    func profile(_ name: String?, _ methods: [ContactMethod], _ custom: [String: CustomFieldValue] = [:]) -> ClientProfile {
        var profile = ClientProfile(name: name)
        profile.workspace = WorkspaceFields(contactMethods: methods, customFields: custom)
        return profile.reconcilingContacts()
    }

    func testWorkspaceFieldsRoundTripAndPagesFilterAndSort() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 2)
        var script = EventScript()
        let tenant = UUID(), other = UUID()
        let (ann, bob, cy, dee, eve, gone, stranger) = (UUID(), UUID(), UUID(), UUID(), UUID(), UUID(), UUID())
        let annProfile = profile("Ann", [method(.phone, "+1234567890", preferred: true), method(.email, "ann@example.com")],
                                 ["notes": .text("9am-5pm"), "age": .integer(41), "tags": .options(["vip", "new"]), "ok": .boolean(true)])
        var events = [
            try script.create(ann, tenant: tenant, annProfile),
            try script.create(bob, tenant: tenant, profile("Bob", [method(.whatsapp, "+1999888777", preferred: true)],
                                                           ["age": .decimal(41.5)])),
            // Another API's client: no contact methods stored, derived from email and phone.
            try script.create(cy, tenant: tenant, ClientProfile(name: "Cy", email: "cy@example.com", phone: "555-0100")),
            // The admin API's clients have no name.
            try script.create(dee, tenant: tenant, ClientProfile(email: "dee@example.com")),
            try script.create(eve, tenant: tenant, ClientProfile(email: "eve@example.com")),
            try script.create(gone, tenant: tenant, profile("Gone", [method(.email, "gone@example.com", preferred: true)])),
            try script.create(stranger, tenant: other, profile("Ann", [method(.phone, "+1234567890", preferred: true)])),
        ]
        var changes = ClientProfileChanges()
        changes.workspace = WorkspaceFieldChanges(customFields: ["age": .integer(42), "notes": nil])
        events.append(try script.change(ann, tenant: tenant, changes))
        events.append(try script.delete(gone, tenant: tenant))
        let runner = fixture.runner()
        try await fixture.catchUp(runner, to: try await fixture.produce(events))
        await runner.close()

        let search = ClientSearch(pool: fixture.pool)
        var expectedAnn = annProfile
        expectedAnn.workspace?.customFields = ["age": .integer(42), "tags": .options(["vip", "new"]), "ok": .boolean(true)]
        let annRecord = try await search.client(id: ann, tenantId: tenant)
        XCTAssertEqual(annRecord?.profile, expectedAnn, "the workspace fields read back as written")
        let cyRecord = try await search.client(id: cy, tenantId: tenant)
        XCTAssertNil(cyRecord?.profile.workspace)

        func expect(_ query: ClientCursorQuery, _ expected: [UUID], unordered: Bool = false, _ message: String = "",
                    line: UInt = #line) async throws {
            let ids = try await search.page(query).data.map(\.id)
            if unordered {
                XCTAssertEqual(Set(ids), Set(expected), message, line: line)
            } else {
                XCTAssertEqual(ids, expected, message, line: line)
            }
        }
        // Every page of two, by name ascending: named clients first, then the unnamed by id.
        let unnamed = [dee, eve].sorted { $0.uuidString.lowercased() < $1.uuidString.lowercased() }
        for descending in [false, true] {
            var query = ClientCursorQuery(tenantId: tenant, sortBy: .name, descending: descending, limit: 2)
            var seen: [UUID] = []
            while true {
                let page = try await search.page(query)
                seen += page.data.map(\.id)
                guard let next = page.next else { break }
                query.after = next
            }
            let expected = [ann, bob, cy] + unnamed
            XCTAssertEqual(seen, descending ? expected.reversed() : expected, "descending: \(descending)")
        }
        var byCreation = ClientCursorQuery(tenantId: tenant, sortBy: .createdAt, limit: 3)
        let first = try await search.page(byCreation)
        XCTAssertEqual(first.data.map(\.id), [ann, bob, cy])
        byCreation.after = first.next
        try await expect(byCreation, [dee, eve])
        try await expect(ClientCursorQuery(tenantId: tenant, sortBy: .updatedAt, descending: true, limit: 1), [ann],
                       "Ann changed last")

        // Filters: the contact type (derived ones count), text over names and contact values,
        // custom-field documents (any of a list; every list).
        try await expect(ClientCursorQuery(tenantId: tenant, contactType: .phone), [ann, cy], unordered: true)
        try await expect(ClientCursorQuery(tenantId: tenant, contactType: .email), [ann, cy, dee, eve], unordered: true)
        try await expect(ClientCursorQuery(tenantId: tenant, contactType: .whatsapp), [bob])
        try await expect(ClientCursorQuery(tenantId: tenant, contactType: .fax), [])
        try await expect(ClientCursorQuery(tenantId: tenant, text: "999888"), [bob])
        try await expect(ClientCursorQuery(tenantId: tenant, text: "555-01"), [cy])
        try await expect(ClientCursorQuery(tenantId: tenant, text: "+1 999 888"), [bob], "a phone as people write it finds its E.164 form")
        try await expect(ClientCursorQuery(tenantId: tenant, text: "(234) 567-8"), [ann])
        try await expect(ClientCursorQuery(tenantId: tenant, text: "ANN@"), [ann])
        try await expect(ClientCursorQuery(tenantId: tenant, text: "bo"), [bob])
        try await expect(ClientCursorQuery(tenantId: tenant, text: "%"), [])
        try await expect(ClientCursorQuery(tenantId: tenant, customFields: [[["age": 42]]]), [ann])
        try await expect(ClientCursorQuery(tenantId: tenant, customFields: [[["age": 42], ["age": 41.5]]]), [ann, bob], unordered: true)
        try await expect(ClientCursorQuery(tenantId: tenant, customFields: [[["tags": ["vip"]]], [["ok": true]]]), [ann])
        try await expect(ClientCursorQuery(tenantId: tenant, customFields: [[["notes": "9am-5pm"]]]), [],
                       "a removed key no longer matches")
        try await expect(ClientCursorQuery(tenantId: other, text: "ann"), [stranger], "tenants stay apart")

        // A deleted client keeps none of it.
        let tombstone = try await fixture.pool.query(
            "SELECT contact_methods, custom_fields, contact_types, contact_text FROM clients WHERE id = $1", [gone])[0]
        for column in 0..<4 { XCTAssertNil(try tombstone.decodeIfPresent(column, as: String.self)) }
    }

    func testTheStatsReadModelAppliesClientsWithWorkspaceFields() async throws {
        let log = try await ProjectionFixture.make()
        let fixture = try await StatsFixture.make(on: log)
        var script = EventScript()
        let tenant = UUID(), client = UUID()
        var changes = ClientProfileChanges(email: .set("x@example.com"))
        changes.workspace = WorkspaceFieldChanges(contactMethods: [method(.email, "x@example.com", preferred: true)],
                                                  customFields: ["tier": .text("gold")])
        let events = [
            try script.create(client, tenant: tenant, profile("Ann", [method(.phone, "+1234567890", preferred: true)],
                                                              ["age": .integer(3)]),
                              at: Timestamp.parse("2026-04-01T08:00:00Z")),
            try script.change(client, tenant: tenant, changes),
        ]
        let runner = fixture.runner()
        try await log.catchUp(runner, to: try await log.produce(events))
        await runner.close()
        let stats = try await fixture.stats(.tenants([tenant]), asOf: try XCTUnwrap(Timestamp.parse("2026-04-02T00:00:00Z")))
        XCTAssertEqual(stats.overview.totalClients, 1)
        let parked = try await fixture.pool.query("SELECT count(*) FROM projection_parked_events")[0].decode(0, as: Int64.self)
        XCTAssertEqual(parked, 0, "nothing parked")
    }
}
