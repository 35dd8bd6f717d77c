import ClientDomain
@testable import EventStore
import Coordination
import EventLog
import Foundation
import Infrastructure
import InternalAPI
import Kafka
import Postgres
import Projection
import SearchReadModel
import ServiceRuntime
import TestSupport
import XCTest

/// The search projection against real PostgreSQL and the real broker.
final class SearchProjectionTests: XCTestCase {
    func testEventsFromTheCommandHandlerAndRelayBuildTheReadModel() async throws {
        let fixture = try await ProjectionFixture.make()
        // The command side: its own event store database, relayed to the same topic.
        let storeURL = try PostgresServer.shared().createDatabase("events")
        let storePool = PostgresPool(configuration: PostgresConfiguration(connectionString: storeURL, poolSize: 4))
        _ = try await MigrationRunner(migrations: EventStoreSchema.migrations).apply(on: storePool)
        let store = PostgresEventStore(pool: storePool)
        let handler = ClientCommandHandler(store: store)
        let metadata = CommandMetadata(actor: Actor(kind: .user, id: "u1"), correlationId: "corr")
        let tenant = UUID()
        var ids: [UUID] = []
        for index in 0..<30 {
            let id = UUID()
            ids.append(id)
            _ = try await handler.handle(.create(CreateClient(clientId: id, tenantId: tenant, profile: ClientProfile(
                name: "Person \(index)", email: "p\(index)@example.com", phone: "0400 000 \(index)"))), metadata: metadata)
            if index % 2 == 0 {
                _ = try await handler.handle(.update(UpdateClient(clientId: id, tenantId: tenant, changes: ClientProfileChanges(
                    name: .set("Renamed \(index)"), phone: .cleared, status: .suspended))), metadata: metadata)
            }
            if index % 7 == 0 {
                _ = try await handler.handle(.delete(DeleteClient(clientId: id, tenantId: tenant)), metadata: metadata)
            }
        }
        let relay = OutboxRelay(pool: storePool, topic: fixture.topic, logger: ProjectionFixture.quietLogger,
                                metrics: MetricsRegistry(), wake: RelayWakeup()) { [broker = fixture.broker] in
            try KafkaProducer(configuration: broker.configuration())
        }
        while try await relay.relayOnce() > 0 {}

        let runner = fixture.runner()
        try await fixture.catchUp(runner)
        await runner.close()
        let search = ClientSearch(pool: fixture.pool)
        for id in ids {
            let stream = try await store.load(streamId: id)
            let expected = try XCTUnwrap(try Client.replay(stream))
            let record = try await search.client(id: id, tenantId: tenant)
            let held = try await search.version(of: id)
            XCTAssertEqual(held, expected.version)
            if expected.isDeleted {
                XCTAssertNil(record)
                let row = try await fixture.pool.query("""
                    SELECT name, email, phone, notes, status, created_at, deleted FROM clients WHERE id = $1
                    """, [id])[0]
                XCTAssertTrue(try row.decode(6, as: Bool.self))
                for column in 0..<6 { XCTAssertTrue(try row.isNull(column), "a tombstone keeps no personal data") }
            } else {
                let record = try XCTUnwrap(record)
                XCTAssertEqual(record.profile, expected.profile)
                XCTAssertEqual(record.version, expected.version)
                XCTAssertEqual(record.tenantId, tenant)
                XCTAssertEqual(Timestamp.format(record.createdAt), Timestamp.format(expected.createdAt))
                XCTAssertEqual(Timestamp.format(record.updatedAt), Timestamp.format(expected.updatedAt))
                let other = try await search.client(id: id, tenantId: UUID())
                XCTAssertNil(other, "another tenant must not see the client")
            }
        }
        let page = try await search.list(ClientListQuery(tenantId: tenant, limit: 100))
        XCTAssertEqual(page.total, ids.count - 5)

        // The batch lookup answers each entry as the single get does, in order: the tenant's
        // live clients, nil for deleted ones, for another tenant's ask and for unknown ids.
        var lookups = ids.map { TenantClientId(id: $0, tenantId: tenant) }
        lookups += [TenantClientId(id: ids[1], tenantId: UUID()), TenantClientId(id: UUID(), tenantId: tenant), lookups[3]]
        var expected: [ClientRecord?] = []
        for lookup in lookups {
            guard case .id(let id) = lookup.key, let tenantId = lookup.tenantId else { return XCTFail("an id lookup") }
            expected.append(try await search.client(id: id, tenantId: tenantId))
        }
        let batch = try await search.clients(lookups)
        XCTAssertEqual(batch, expected)
        XCTAssertEqual(batch.compactMap { $0 }.count, ids.count - 5 + 1)
        for size in [1, 2, 3, 5, 9] {   // statement sizes are padded to powers of two
            let some = try await search.clients(Array(lookups.suffix(size)))
            XCTAssertEqual(some, Array(expected.suffix(size)), "\(size) lookups")
        }

        // By number (the care API's ids), in the tenant or in any, beside lookups by id in the
        // same batch: the same records; nil for another tenant's ask and for an unknown number.
        // (The command service numbers clients; these came from the handler alone: numbered here.)
        var numbered: [(ClientRecord, Int64)] = []
        for (index, record) in expected.prefix(ids.count).compactMap({ $0 }).enumerated() {   // each live client once
            let number = Int64(9_000 + index)
            _ = try await fixture.pool.execute("UPDATE clients SET number = $1 WHERE id = $2", [number, record.id])
            var renumbered = record
            renumbered.number = number
            numbered.append((renumbered, number))
        }
        XCTAssertFalse(numbered.isEmpty)
        var byNumber = numbered.flatMap { record, number in
            [TenantClientId(number: number, tenantId: tenant), TenantClientId(number: number, tenantId: nil)]
        }
        byNumber += [TenantClientId(number: numbered[0].1, tenantId: UUID()), TenantClientId(number: Int64.max, tenantId: nil),
                     lookups[0]]
        let answers = try await search.clients(byNumber)
        XCTAssertEqual(answers, numbered.flatMap { [$0.0, $0.0] } + [nil, nil, numbered.first { $0.0.id == expected[0]?.id }?.0])
    }

    func testRedeliveryChangesNothing() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let events = try script.population(clients: 200)
        let ends = try await fixture.produce(events)
        let runner = fixture.runner(batchSize: 64)
        try await fixture.catchUp(runner, to: ends)
        await runner.close()
        let before = try await fixture.checksum()
        let offsets = try await fixture.offsetsSum()
        XCTAssertEqual(offsets, Int64(events.count))
        XCTAssertEqual(fixture.metrics.counter("clientele_projection_events_applied_total", help: "", labels: ["projection"]).value("search"),
                       Double(events.count))

        // The offsets go back to the start (as if a crash lost them): everything comes again.
        try await fixture.pool.execute("DELETE FROM projection_offsets")
        let again = fixture.runner(batchSize: 64)
        try await fixture.catchUp(again, to: ends)
        await again.close()
        // And the relay resends a whole stretch (duplicates after the current end).
        let resent = try await fixture.produce(Array(events.prefix(300)))
        let third = fixture.runner(batchSize: 64)
        try await fixture.catchUp(third, to: resent)
        await third.close()

        let skipped = fixture.metrics.counter("clientele_projection_events_skipped_total", help: "", labels: ["projection", "reason"])
        XCTAssertEqual(skipped.value("search", "duplicate"), Double(events.count + 300))
        XCTAssertEqual(fixture.metrics.counter("clientele_projection_events_applied_total", help: "", labels: ["projection"]).value("search"),
                       Double(events.count), "redelivered events must not be applied again")
        let after = try await fixture.checksum()
        XCTAssertEqual(after, before)
    }

    func testCreationsComingAgainLeaveExistingRowsAsTheyAre() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let tenant = UUID()
        let old = (0..<20).map { _ in UUID() }
        let creations = try old.enumerated().map { index, id in
            try script.create(id, tenant: tenant, ClientProfile(name: "Old \(index)", email: "old\(index)@example.com"))
        }
        let renames = try old.prefix(5).enumerated().map { index, id in
            try script.change(id, tenant: tenant, ClientProfileChanges(name: .set("Renamed \(index)")))
        }
        let runner = fixture.runner()
        try await fixture.catchUp(runner, to: try await fixture.produce(creations + renames))
        let before = try await fixture.checksum()

        // Batches of creations only: the old ones again (redelivered), new ones among them.
        let fresh = (0..<10).map { _ in UUID() }
        var mixed = creations
        for (index, id) in fresh.enumerated() {
            mixed.insert(try script.create(id, tenant: tenant, ClientProfile(name: "New \(index)", email: "new\(index)@example.com")),
                         at: index * 2)
        }
        try await fixture.catchUp(runner, to: try await fixture.produce(mixed))
        // The old creations once more (a replayed log: looked up by id, not written), then new ones.
        let later = (0..<5).map { _ in UUID() }
        let laterCreations = try later.enumerated().map { index, id in
            try script.create(id, tenant: tenant, ClientProfile(name: "Later \(index)", email: "later\(index)@example.com"))
        }
        try await fixture.catchUp(runner, to: try await fixture.produce(creations))
        try await fixture.catchUp(runner, to: try await fixture.produce(laterCreations))
        await runner.close()

        let applied = fixture.metrics.counter("clientele_projection_events_applied_total", help: "", labels: ["projection"])
        XCTAssertEqual(applied.value("search"), 20 + 5 + 10 + 5)
        let skipped = fixture.metrics.counter("clientele_projection_events_skipped_total", help: "", labels: ["projection", "reason"])
        XCTAssertEqual(skipped.value("search", "duplicate"), 20 + 20)
        let search = ClientSearch(pool: fixture.pool)
        for (index, id) in old.enumerated() {
            let record = try await search.client(id: id, tenantId: tenant)
            XCTAssertEqual(record?.version, index < 5 ? 2 : 1)
            XCTAssertEqual(record?.profile.name, index < 5 ? "Renamed \(index)" : "Old \(index)")
        }
        for (index, id) in fresh.enumerated() {
            let record = try await search.client(id: id, tenantId: tenant)
            XCTAssertEqual(record?.profile.name, "New \(index)")
        }
        for (index, id) in later.enumerated() {
            let record = try await search.client(id: id, tenantId: tenant)
            XCTAssertEqual(record?.profile.name, "Later \(index)")
        }
        try await fixture.pool.execute("DELETE FROM clients WHERE id = ANY($1::uuid[])",
                                       ["{" + (fresh + later).map { $0.uuidString.lowercased() }.joined(separator: ",") + "}"])
        let after = try await fixture.checksum()
        XCTAssertEqual(after, before, "the rows that were there are unchanged")
        let offsets = try await fixture.offsetsSum()
        XCTAssertEqual(offsets, Int64(creations.count + renames.count + mixed.count + creations.count + later.count))
    }

    func testEarlyEventsAreSkippedUntilTheGapFills() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 1)
        var script = EventScript()
        let tenant = UUID()
        let id = UUID()
        let created = try script.create(id, tenant: tenant, ClientProfile(name: "Ada", email: "ada@example.com"))
        let renamed = try script.change(id, tenant: tenant, ClientProfileChanges(name: .set("Ada Lovelace")))
        let suspended = try script.change(id, tenant: tenant, ClientProfileChanges(status: .suspended))
        // Version 3 arrives before version 2 (the relay failed on 2 and went on).
        let runner = fixture.runner()
        try await fixture.catchUp(runner, to: try await fixture.produce([created, suspended]))
        let search = ClientSearch(pool: fixture.pool)
        var record = try await search.client(id: id, tenantId: tenant)
        XCTAssertEqual(record?.version, 1)
        XCTAssertEqual(record?.profile.status, .active)
        let skipped = fixture.metrics.counter("clientele_projection_events_skipped_total", help: "", labels: ["projection", "reason"])
        XCTAssertEqual(skipped.value("search", "early"), 1)

        // The relay resends the rest of the stream in order: the gap fills.
        try await fixture.catchUp(runner, to: try await fixture.produce([renamed, suspended]))
        await runner.close()
        record = try await search.client(id: id, tenantId: tenant)
        XCTAssertEqual(record?.version, 3)
        XCTAssertEqual(record?.profile.name, "Ada Lovelace")
        XCTAssertEqual(record?.profile.status, .suspended)
    }

    func testListSearchFilterSortAndPaging() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let tenant = UUID()
        let otherTenant = UUID()
        var events: [StoredEvent] = []
        var expected: [UUID: ClientRecord] = [:]
        let statuses = ClientStatus.allCases
        let base = Date(timeIntervalSince1970: 1_760_000_000)
        for index in 0..<300 {
            let id = UUID()
            // Names repeat (ties broken by id), some phones and emails are missing.
            let profile = ClientProfile(name: "Client\(String(format: "%03d", index % 120))",
                                        email: index % 11 == 0 ? nil : "user\(String(format: "%03d", index))@example.com",
                                        phone: index % 13 == 0 ? nil : "0400\(String(format: "%05d", (index * 7919) % 100_000))",
                                        status: statuses[index % statuses.count])
            let createdAt = base.addingTimeInterval(Double(index % 150))
            events.append(try script.create(id, tenant: tenant, profile, at: createdAt))
            expected[id] = ClientRecord(id: id, tenantId: tenant, profile: profile, version: 1, createdAt: createdAt, updatedAt: createdAt,
                                        createdBy: script.actor)
            if index % 10 == 0 {
                events.append(try script.delete(id, tenant: tenant))
                expected[id] = nil
            }
        }
        for index in 0..<40 {
            events.append(try script.create(UUID(), tenant: otherTenant, ClientProfile(name: "Client\(String(format: "%03d", index))",
                                                                                        email: "user001@example.com")))
        }
        let runner = fixture.runner()
        try await fixture.catchUp(runner, to: try await fixture.produce(events))
        await runner.close()
        let search = ClientSearch(pool: fixture.pool)
        let live = Array(expected.values)

        func key(_ record: ClientRecord, _ field: ClientListQuery.SortField) -> String? {
            switch field {
            case .name: record.profile.name
            case .email: record.profile.email
            case .phone: record.profile.phone
            case .status: record.profile.status.rawValue
            case .createdAt: Timestamp.format(record.createdAt)
            case .updatedAt: Timestamp.format(record.updatedAt)
            case .displayName: record.profile.displayName
            case .company: record.profile.companyName
            case .totalSubmissions: String(format: "%020lld", record.submissionCount)
            }
        }
        // PostgreSQL: NULLs sort last ascending, first descending; ties by id in the same direction.
        func ordered(_ records: [ClientRecord], _ field: ClientListQuery.SortField, _ order: ClientListQuery.SortOrder) -> [UUID] {
            let ascending = records.sorted { a, b in
                let (ka, kb) = (key(a, field), key(b, field))
                if ka != kb {
                    guard let ka else { return false }
                    guard let kb else { return true }
                    return ka < kb
                }
                return a.id.uuidString.lowercased() < b.id.uuidString.lowercased()
            }
            return (order == .asc ? ascending : ascending.reversed()).map(\.id)
        }
        func all(_ query: ClientListQuery) async throws -> (ids: [UUID], total: Int) {
            var query = query
            var ids: [UUID] = []
            var total = 0
            query.offset = 0
            while true {
                let page = try await search.list(query)
                total = page.total
                XCTAssertTrue(page.data.allSatisfy { $0.tenantId == tenant })
                ids += page.data.map(\.id)
                if page.data.count < query.limit { break }
                query.offset += query.limit
            }
            return (ids, total)
        }

        for field in ClientListQuery.SortField.allCases {
            for order in ClientListQuery.SortOrder.allCases {
                let result = try await all(ClientListQuery(tenantId: tenant, sortBy: field, sortOrder: order, limit: 37))
                XCTAssertEqual(result.total, live.count)
                XCTAssertEqual(result.ids, ordered(live, field, order), "sort by \(field) \(order)")
            }
        }
        // Case-insensitive substring over name, phone and email, with a status filter.
        let text = "CLIENT01"
        let matching = live.filter { record in
            [record.profile.name, record.profile.email, record.profile.phone].contains { $0?.lowercased().contains("client01") ?? false }
        }
        let found = try await all(ClientListQuery(tenantId: tenant, text: text, sortBy: .name, limit: 10))
        XCTAssertEqual(found.ids, ordered(matching, .name, .asc))
        XCTAssertEqual(found.total, matching.count)
        XCTAssertGreaterThan(matching.count, 10)
        let byEmail = try await all(ClientListQuery(tenantId: tenant, text: "Er00", statuses: [.trial, .suspended], limit: 100))
        let emailMatching = live.filter { ($0.profile.email?.contains("er00") ?? false) && [.trial, .suspended].contains($0.profile.status) }
        XCTAssertEqual(Set(byEmail.ids), Set(emailMatching.map(\.id)))
        XCTAssertFalse(emailMatching.isEmpty)
        let byPhone = try await search.list(ClientListQuery(tenantId: tenant, text: "0400", limit: 1))
        XCTAssertEqual(byPhone.total, live.filter { $0.profile.phone != nil }.count)
        let wildcard = try await search.list(ClientListQuery(tenantId: tenant, text: "%"))
        XCTAssertEqual(wildcard.total, 0, "% is literal in search text")
        let beyond = try await search.list(ClientListQuery(tenantId: tenant, limit: 10, offset: 1000))
        XCTAssertEqual(beyond.data, [])
        XCTAssertEqual(beyond.total, live.count)
        let other = try await search.list(ClientListQuery(tenantId: otherTenant, text: "user001", limit: 100))
        XCTAssertEqual(other.total, 40)
        let nobody = try await search.list(ClientListQuery(tenantId: UUID()))
        XCTAssertEqual(nobody.total, 0)
        // One page's records carry the full data.
        let first = try await search.list(ClientListQuery(tenantId: tenant, sortBy: .createdAt, limit: 5)).data
        for record in first { XCTAssertEqual(record, expected[record.id]) }
    }

    /// The cleaner empties every GIN pending list of the live table beside the projection,
    /// including indexes a rebuild left with names PostgreSQL chose, once rows were applied.
    func testGINPendingListsAreEmptiedBesideTheProjection() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 1)
        try await fixture.pool.execute("ALTER INDEX clients_name_trgm RENAME TO clients_rebuild_lower_idx")
        try await fixture.pool.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        func pendingPages() async throws -> [String: Int] {
            var pages: [String: Int] = [:]
            for row in try await fixture.pool.query("""
                SELECT c.relname, (pgstatginindex(c.oid)).pending_pages
                FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
                WHERE i.indrelid = 'clients'::regclass AND a.amname = 'gin'
                """) { pages[try row.decode(0, as: String.self)] = try row.decode(1, as: Int.self) }
            return pages
        }
        var script = EventScript()
        var events: [StoredEvent] = []
        for index in 0..<2000 {
            events.append(try script.create(UUID(), tenant: UUID(), ClientProfile(
                name: "Client Person \(index)", email: "person\(index)@example.com", phone: "+61 400 \(index)")))
        }
        let ends = try await fixture.produce(events)
        let runner = fixture.runner(batchSize: 50)
        try await fixture.catchUp(runner, to: ends)
        await runner.close()
        let filled = try await pendingPages()
        XCTAssertEqual(filled.count, 13, "the trigram indexes (the NDIS number's too), the agents' index, the workspace fields' (types, custom fields) and the care records'")
        XCTAssertGreaterThan(filled["clients_rebuild_lower_idx"] ?? 0, 0, "inserts went through the pending lists")

        let cleaner = GINPendingListCleaner(pool: fixture.pool, table: SearchSchema.table, interval: .milliseconds(20), logger: ProjectionFixture.quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await cleaner.run() }
            // The sleep is the behaviour under test, not ordering: several 20 ms intervals
            // pass with nothing applied, and none may clean.
            try await Task.sleep(for: .milliseconds(100))
            let idle = try await pendingPages()
            XCTAssertEqual(idle, filled, "nothing applied since it started: nothing cleaned")
            cleaner.noteApplied(events.count)
            var pending = filled
            try await eventually("the pending lists are emptied (\(pending))") {
                pending = try await pendingPages()
                return !pending.values.contains(where: { $0 > 0 })
            }
            group.cancelAll()
        }
        let emptied = try await cleaner.clean()
        XCTAssertEqual(emptied, 0, "nothing left to clean")
    }

    /// Offsets of every partition a batch touched are stored together, and none moves back.
    func testStoredOffsetsOnlyMoveForward() async throws {
        let url = try PostgresServer.shared().createDatabase("search")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 2))
        _ = try await MigrationRunner(migrations: SearchSchema.migrations).apply(on: pool)
        let stored = try await pool.withTransaction { connection in
            try ProjectionOffsets.store("search", [0: 5, 1: 3], on: connection)
            try ProjectionOffsets.store("other", [0: 40], on: connection)
            try ProjectionOffsets.store("search", [:], on: connection)
            try ProjectionOffsets.store("search", [2: 1, 0: 2, 1: 7], on: connection)
            return (try ProjectionOffsets.load("search", on: connection), try ProjectionOffsets.load("other", on: connection))
        }
        XCTAssertEqual(stored.0, [0: 5, 1: 7, 2: 1])
        XCTAssertEqual(stored.1, [0: 40])
        await pool.close()
    }

    func testVisibilityWaitsForTheApplyAndTimesOut() async throws {
        let fixture = try await ProjectionFixture.make(partitions: 2)
        let runner = fixture.runner()
        let search = ClientSearch(pool: fixture.pool)
        var script = EventScript()
        let tenant = UUID()
        let id = UUID()
        let created = try script.create(id, tenant: tenant, ClientProfile(name: "Grace"))
        let changed = try script.change(id, tenant: tenant, ClientProfileChanges(notes: .set("hello")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run() }
            // Waits before the event exists; answered once the batch commits. The timeout is
            // one the test never reaches: a wait that ran to it would return what it read
            // before (nothing), so `applied: 2` shows the commit woke it.
            async let visible = fixture.waiters.wait(streamId: id, version: 2, timeout: .seconds(60)) {
                StreamVisibility(applied: try await search.version(of: id))
            }
            try await eventually("the wait registered") { fixture.waiters.count == 1 }
            try await fixture.produce([created, changed])
            let version = try await visible
            XCTAssertEqual(version.applied, 2, "the waiter must be woken by the commit, not its timeout")
            // A version never written: false after the timeout, with the version held.
            let timedOut = ContinuousClock.now
            let held = try await fixture.waiters.wait(streamId: id, version: 3, timeout: .milliseconds(400)) {
                StreamVisibility(applied: try await search.version(of: id))
            }
            XCTAssertEqual(held.applied, 2)
            XCTAssertGreaterThanOrEqual(ContinuousClock.now - timedOut, .milliseconds(400))
            group.cancelAll()
        }
        await runner.close()
    }
}
