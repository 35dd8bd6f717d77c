import ClientDomain
import EventStore
import Foundation
import InternalAPI
import Projection
import SearchReadModel
import XCTest

/// The `client.document_*` events through both projections, against real PostgreSQL and the
/// real broker: the search read model shows each client's documents as the events leave them
/// (and a rebuild-like replay into a fresh database restores them); the stats projection
/// applies them without counting anything and parks nothing.
final class DocumentEventsProjectionTests: XCTestCase {
    func reference(_ use: DocumentUse, _ name: String) -> DocumentReference {
        DocumentReference(id: UUID(), use: use, documentType: use == .care ? .consent : nil, name: name,
                          contentType: "application/pdf", size: 42, sha256: String(repeating: "c", count: 64),
                          uploadedAt: Date(timeIntervalSince1970: 1_700_000_000.5))
    }

    func testSearchShowsDocumentsAsTheEventsLeaveThemAndStatsParksNothing() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 2)
        let stats = try await StatsFixture.make(on: fixture)
        var script = EventScript()
        let tenant = UUID()
        let ann = UUID()
        let gone = UUID()
        let oldPassport = reference(.passport, "old passport.jpg")
        let newPassport = reference(.passport, "new passport.png")
        let plan = reference(.care, "Plan ✓.pdf")
        let removed = reference(.care, "report.pdf")
        let events = [
            try script.create(ann, tenant: tenant, ClientProfile(name: "Ann"), number: 1),
            try script.event(.documentAttached(ClientDocumentAttached(document: oldPassport)), client: ann, tenant: tenant),
            try script.event(.documentAttached(ClientDocumentAttached(document: plan)), client: ann, tenant: tenant),
            try script.event(.documentAttached(ClientDocumentAttached(document: removed)), client: ann, tenant: tenant),
            try script.event(.documentReplaced(ClientDocumentReplaced(replacedId: oldPassport.id, document: newPassport)),
                             client: ann, tenant: tenant),
            try script.event(.documentRemoved(ClientDocumentRemoved(documentId: removed.id)), client: ann, tenant: tenant),
            try script.create(gone, tenant: tenant, ClientProfile(name: "Gone"), number: 2),
            try script.event(.documentAttached(ClientDocumentAttached(document: reference(.care, "x.pdf"))), client: gone, tenant: tenant),
            try script.delete(gone, tenant: tenant),
        ]
        let ends = try await fixture.produce(events)
        let runner = fixture.runner()
        try await fixture.catchUp(runner, to: ends)
        await runner.close()
        let statsRunner = stats.runner()
        try await fixture.catchUp(statsRunner, to: ends)
        XCTAssertNil(statsRunner.parkedVersion(of: ann), "the stats projection must apply document events, not park them")
        await statsRunner.close()
        let statsVersion = try await stats.pool.query("SELECT version FROM stats_clients WHERE id = $1", [ann])[0]
            .decode(0, as: Int64.self)
        XCTAssertEqual(statsVersion, 6)

        let search = ClientSearch(pool: fixture.pool)
        let page = try await search.list(ClientListQuery(scope: .tenants([tenant]), number: 1))
        let record = try XCTUnwrap(page.data.first)
        XCTAssertEqual(record.documents, [plan, newPassport])
        XCTAssertEqual(record.version, 6)
        let tombstone = try await fixture.pool.query("SELECT documents FROM clients WHERE id = $1", [gone])[0]
        XCTAssertNil(try tombstone.decodeIfPresent(0, as: String.self), "a tombstone keeps no document names")

        // The same log into a fresh read model restores the same documents.
        let sibling = try await fixture.sibling()
        let again = sibling.runner()
        try await sibling.catchUp(again, to: ends)
        await again.close()
        let rebuilt = try await ClientSearch(pool: sibling.pool).list(ClientListQuery(scope: .tenants([tenant]), number: 1))
        XCTAssertEqual(rebuilt.data.first?.documents, [plan, newPassport])
    }
}
