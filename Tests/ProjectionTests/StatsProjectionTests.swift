import ClientDomain
import EventLog
import Foundation
import InternalAPI
import Kafka
import Postgres
import Projection
import ServiceRuntime
import StatsReadModel
import TestSupport
import XCTest

/// The stats projection against real PostgreSQL and the real broker.
final class StatsProjectionTests: XCTestCase {
    func time(_ text: String) throws -> Date { try XCTUnwrap(Timestamp.parse(text), text) }

    func testFiguresFromAScriptedLogPerTenantAndOverAllTenants() async throws {
        let log = try await ProjectionFixture.make()
        let fixture = try await StatsFixture.make(on: log)
        var script = EventScript()
        let (a, b) = (UUID(), UUID())
        let (c1, c2, c3, c4, d1) = (UUID(), UUID(), UUID(), UUID(), UUID())
        var first: [StoredEvent] = []
        first.append(try script.create(c1, tenant: a, ClientProfile(
            name: "One", companyName: "Acme", industry: "Tech", location: "Sydney, Australia", accountType: .business,
            plan: .premium, provider: "google"), at: try time("2026-02-10T09:00:00Z")))
        first.append(try script.create(c2, tenant: a, ClientProfile(
            name: "Two", status: .trial, companyName: "Acme", location: "Melbourne, Australia", provider: "github"),
            at: try time("2026-03-30T10:00:00Z")))
        first.append(try script.create(c3, tenant: a, ClientProfile(
            name: "Three", companyName: "Globex", industry: "Retail", location: "Berlin, Germany", plan: .standard),
            at: try time("2026-04-01T08:00:00Z")))
        first.append(try script.create(c4, tenant: a, ClientProfile(name: "Four", companyName: "Gone Inc", location: "Peru"),
                                       at: try time("2026-03-05T08:00:00Z")))
        first.append(try script.delete(c4, tenant: a))
        first.append(try script.event(.activityRecorded(ClientActivityRecorded(submission: true)), client: c1, tenant: a,
                                      at: try time("2026-03-20T10:00:00Z")))
        first.append(try script.event(.activityRecorded(ClientActivityRecorded(submission: true)), client: c1, tenant: a,
                                      at: try time("2026-03-31T23:59:59.999Z")))
        first.append(try script.event(.activityRecorded(ClientActivityRecorded(submission: false)), client: c3, tenant: a,
                                      at: try time("2026-04-01T09:00:00Z")))
        first.append(try script.create(d1, tenant: b, ClientProfile(name: "Dee", status: .inactive, companyName: "Initech",
                                                                    location: "Paris, France"),
                                       at: try time("2026-04-01T11:00:00Z")))
        // c2's second event is held back: its third arrives early and must wait.
        let held = try script.change(c2, tenant: a, ClientProfileChanges(plan: .set(.premium)))
        let early = try script.change(c2, tenant: a, ClientProfileChanges(status: .suspended))
        let asOf = try time("2026-04-01T12:00:00Z")

        let runner = fixture.runner()
        try await log.catchUp(runner, to: try await log.produce(first + [early]))
        let skipped = fixture.metrics.counter("clientele_projection_events_skipped_total", help: "", labels: ["projection", "reason"])
        XCTAssertEqual(skipped.value("stats", "early"), 1)
        var tenantA = try await fixture.stats(.tenants([a]), asOf: asOf)
        XCTAssertEqual(tenantA.overview, .init(totalClients: 3, activeClients: 2, trialClients: 1), "the early event changed nothing")
        try await log.catchUp(runner, to: try await log.produce([held, early]))
        await runner.close()

        tenantA = try await fixture.stats(.tenants([a]), asOf: asOf)
        var expected = ClientStats(
            overview: .init(totalClients: 3, activeClients: 2, suspendedClients: 1),
            growth: .init(newClientsToday: 1, newClientsThisWeek: 2, newClientsThisMonth: 1, growthRate: 50.0),
            plans: .init(free: 0, standard: 1, premium: 2, conversionRate: 100.0),
            accountTypes: .init(individual: 2, business: 1),
            engagement: .init(averageSubmissions: 0.7, totalSubmissions: 2, activeThisWeek: 2, activeThisMonth: 1),
            demographics: .init(topCountries: [.init(country: "Australia", count: 2), .init(country: "Germany", count: 1)],
                                topCompanies: [.init(company: "Acme", count: 2), .init(company: "Globex", count: 1)],
                                topIndustries: [.init(industry: "Retail", count: 1), .init(industry: "Tech", count: 1)]),
            providers: ["google": 1, "github": 1])
        XCTAssertEqual(tenantA, expected)
        let repeated = try await fixture.stats(.tenants([a, a]), asOf: asOf)
        XCTAssertEqual(repeated, expected, "a tenant named twice counts once")

        expected.overview = .init(totalClients: 4, activeClients: 2, inactiveClients: 1, suspendedClients: 1)
        expected.growth = .init(newClientsToday: 2, newClientsThisWeek: 3, newClientsThisMonth: 2, growthRate: 100.0)
        expected.plans = .init(free: 1, standard: 1, premium: 2, conversionRate: 75.0)
        expected.accountTypes = .init(individual: 3, business: 1)
        expected.engagement = .init(averageSubmissions: 0.5, totalSubmissions: 2, activeThisWeek: 2, activeThisMonth: 1)
        expected.demographics.topCountries = [.init(country: "Australia", count: 2), .init(country: "France", count: 1),
                                              .init(country: "Germany", count: 1)]
        expected.demographics.topCompanies = [.init(company: "Acme", count: 2), .init(company: "Globex", count: 1),
                                              .init(company: "Initech", count: 1)]
        let all = try await fixture.stats(.everyTenant, asOf: asOf)
        XCTAssertEqual(all, expected)
        let both = try await fixture.stats(.tenants([b, a]), asOf: asOf)
        XCTAssertEqual(both, expected)
        let nobody = try await fixture.stats(.tenants([UUID()]), asOf: asOf)
        XCTAssertEqual(nobody, ClientStats())
        let sums = try await fixture.stats(.tenants([StatsSchema.allTenants]), asOf: asOf)
        XCTAssertEqual(sums, ClientStats(), "the all-tenants sums are not a tenant anyone can name")

        // Another asOf moves only the periods: a month later nothing is new, nobody active.
        let later = try await fixture.stats(.tenants([a]), asOf: try time("2026-05-04T00:00:00Z"))
        XCTAssertEqual(later.growth, .init(growthRate: 0))
        XCTAssertEqual(later.engagement, .init(averageSubmissions: 0.7, totalSubmissions: 2))
        // The deleted client left no trace; its tombstone keeps only its version.
        let tombstone = try await fixture.pool.query("SELECT deleted, version, company FROM stats_clients WHERE id = $1", [c4])[0]
        XCTAssertTrue(try tombstone.decode(0, as: Bool.self))
        XCTAssertEqual(try tombstone.decode(1, as: Int64.self), 2)
        XCTAssertTrue(try tombstone.isNull(2))
        let traces = try await fixture.pool.query("""
            SELECT count(*) FROM stats_top_counts WHERE value IN ('Peru', 'Gone Inc')
            """)[0]
        XCTAssertEqual(try traces.decode(0, as: Int.self), 0, "counters at 0 are removed")
    }

    func testRedeliveryChangesNothing() async throws {
        let log = try await ProjectionFixture.make()
        let fixture = try await StatsFixture.make(on: log)
        var script = EventScript()
        let tenant = UUID()
        var events = try script.population(clients: 200, tenant: tenant)
        for (index, event) in events.enumerated() where index % 3 == 0 && event.envelope.type == ClientCreated.type {
            events.append(try script.event(.activityRecorded(ClientActivityRecorded(submission: index % 2 == 0)),
                                           client: event.envelope.streamId, tenant: tenant))
        }
        let ends = try await log.produce(events)
        let runner = fixture.runner(batchSize: 64)
        try await log.catchUp(runner, to: ends)
        await runner.close()
        let before = try await fixture.checksum()
        let figures = try await fixture.stats(.tenants([tenant]), asOf: script.clock)
        XCTAssertEqual(figures.overview.totalClients, 160)
        XCTAssertGreaterThan(figures.engagement.totalSubmissions, 0)
        let offsets = try await fixture.offsetsSum()
        XCTAssertEqual(offsets, Int64(events.count))

        // The offsets go back to the start (as if a crash lost them): everything comes again.
        try await fixture.pool.execute("DELETE FROM projection_offsets")
        let again = fixture.runner(batchSize: 64)
        try await log.catchUp(again, to: ends)
        await again.close()
        // And the relay resends a whole stretch (duplicates after the current end).
        let resent = try await log.produce(Array(events.prefix(300)))
        let third = fixture.runner(batchSize: 64)
        try await log.catchUp(third, to: resent)
        await third.close()

        let skipped = fixture.metrics.counter("clientele_projection_events_skipped_total", help: "", labels: ["projection", "reason"])
        XCTAssertEqual(skipped.value("stats", "duplicate"), Double(events.count + 300))
        XCTAssertEqual(fixture.metrics.counter("clientele_projection_events_applied_total", help: "", labels: ["projection"]).value("stats"),
                       Double(events.count), "redelivered events must not be applied again")
        let after = try await fixture.checksum()
        XCTAssertEqual(after, before)
        let figuresAfter = try await fixture.stats(.tenants([tenant]), asOf: script.clock)
        XCTAssertEqual(figuresAfter, figures)
    }

    func testCreationsComingAgainAmongNewOnesAreCountedOnce() async throws {
        var script = EventScript()
        let tenant = UUID()
        let creations = try (0..<20).map { index in
            try script.create(UUID(), tenant: tenant, ClientProfile(name: "Old \(index)", email: "old\(index)@example.com",
                                                                    location: index % 2 == 0 ? "Lima, Peru" : "Oslo, Norway"))
        }
        let renames = try creations.prefix(5).map {
            try script.change($0.envelope.streamId, tenant: tenant, ClientProfileChanges(status: .suspended))
        }
        let fresh = try (0..<10).map { index in
            try script.create(UUID(), tenant: tenant, ClientProfile(name: "New \(index)", email: "new\(index)@example.com",
                                                                    location: "Lima, Peru"))
        }
        // One log has the old creations again among the new ones (batches of creations only).
        let log = try await ProjectionFixture.make(partitions: 1)
        let fixture = try await StatsFixture.make(on: log)
        let runner = fixture.runner()
        try await log.catchUp(runner, to: try await log.produce(creations + renames))
        var mixed = creations
        for (index, event) in fresh.enumerated() { mixed.insert(event, at: index * 2) }
        try await log.catchUp(runner, to: try await log.produce(mixed))
        // After a batch of creations it held already, the next new ones count too (read first).
        let later = try (0..<5).map { index in
            try script.create(UUID(), tenant: tenant, ClientProfile(name: "Later \(index)", email: "later\(index)@example.com"))
        }
        try await log.catchUp(runner, to: try await log.produce(later))
        await runner.close()
        // The other has each event once.
        let onceLog = try await ProjectionFixture.make(partitions: 1)
        let once = try await StatsFixture.make(on: onceLog)
        let reference = once.runner()
        try await onceLog.catchUp(reference, to: try await onceLog.produce(creations + renames + fresh + later))
        await reference.close()

        let applied = fixture.metrics.counter("clientele_projection_events_applied_total", help: "", labels: ["projection"])
        XCTAssertEqual(applied.value("stats"), 20 + 5 + 10 + 5)
        let skipped = fixture.metrics.counter("clientele_projection_events_skipped_total", help: "", labels: ["projection", "reason"])
        XCTAssertEqual(skipped.value("stats", "duplicate"), 20)
        let counted = try await fixture.checksum()
        let expected = try await once.checksum()
        XCTAssertEqual(counted, expected)
        let figures = try await fixture.stats(.tenants([tenant]), asOf: script.clock)
        XCTAssertEqual(figures.overview.totalClients, 35)
        XCTAssertEqual(figures.overview.suspendedClients, 5)
        XCTAssertEqual(figures.demographics.topCountries.first, .init(country: "Peru", count: 20))
    }

    func testACounterThatWouldGoBelowZeroParksItsStream() async throws {
        try await assertACounterBelowZeroParksItsStream(
            profile: ClientProfile(name: "Ada", email: "ada@example.com"),
            damage: "DELETE FROM stats_counts WHERE tenant_id = $1 AND dimension = 'status'",
            change: ClientProfileChanges(status: .suspended), table: "stats_counts")
    }

    func testTwoRunnersOnOneDatabaseCountEachEventOnce() async throws {
        // Two replicas (or a stale process) consuming the same log into the same tables.
        let log = try await ProjectionFixture.make()
        let fixture = try await StatsFixture.make(on: log)
        var script = EventScript()
        let tenant = UUID()
        let events = try script.population(clients: 400, tenant: tenant)
        let ends = try await log.produce(events)
        let (one, two) = (fixture.runner(batchSize: 50), fixture.runner(batchSize: 70))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await log.catchUp(one, to: ends) }
            group.addTask { try await log.catchUp(two, to: ends) }
            try await group.waitForAll()
        }
        await one.close()
        await two.close()
        let reference = try await StatsFixture.make(on: log)
        let single = reference.runner(batchSize: 1000)
        try await log.catchUp(single, to: ends)
        await single.close()
        let shared = try await fixture.checksum()
        let expected = try await reference.checksum()
        XCTAssertEqual(shared, expected)
        let figures = try await fixture.stats(.tenants([tenant]), asOf: script.clock)
        XCTAssertEqual(figures.overview, .init(totalClients: 320, inactiveClients: 213, trialClients: 107))
    }

    func testTopListsOverSeveralTenantsAreExactWhetherOrNotTheirOwnListsSettleThem() async throws {
        let log = try await ProjectionFixture.make(partitions: 1)
        let fixture = try await StatsFixture.make(on: log)
        let (one, two, three) = (UUID(), UUID(), UUID())
        // Each of two tenants has ten companies at 10 and "Keystone" at 9, outside its own top
        // ten; summed, Keystone (18) leads. A third tenant has a short list.
        var rows: [(UUID, String, Int64)] = [("Keystone", 9), ("Zeta", 3)].flatMap { [(one, $0.0, $0.1), (two, $0.0, $0.1)] }
        for index in 0..<10 {
            rows.append((one, "One \(index)", 10))
            rows.append((two, "Two \(index)", 10))
        }
        rows += [(three, "Three", 50), (three, "One 3", 1)]
        let four = UUID()
        rows += (0..<10).map { (four, "Four \($0)", Int64(6 + $0)) } + [(four, "Tail", 1)]
        // A value with the characters an array literal quotes.
        let odd = #"Odd "name", {x} \ y"#
        rows += [(three, odd, 40), (four, odd, 40)]
        for (tenant, value, count) in rows {
            try await fixture.pool.execute("INSERT INTO stats_top_counts (tenant_id, dimension, value, count) VALUES ($1, 'company', $2, $3)",
                                           [tenant, value, count])
        }
        let asOf = Date()
        let pair = try await fixture.stats(.tenants([one, two]), asOf: asOf)
        XCTAssertEqual(pair.demographics.topCompanies.map(\.company),
                       ["Keystone", "One 0", "One 1", "One 2", "One 3", "One 4", "One 5", "One 6", "One 7", "One 8"])
        XCTAssertEqual(pair.demographics.topCompanies.first?.count, 18)
        // Here the lists settle it: the tenth sum (8) is above what an unlisted value can reach (7).
        let settled = try await fixture.stats(.tenants([three, four]), asOf: asOf)
        XCTAssertEqual(settled.demographics.topCompanies.map(\.count), [80, 50, 15, 14, 13, 12, 11, 10, 9, 8])
        XCTAssertEqual(settled.demographics.topCompanies.prefix(2).map(\.company), [odd, "Three"])
        // Compared with summing every value of the tenants.
        for tenants in [[one, two], [three, one], [three, four], [one, two, three, four], [three]] {
            let expected = try await fixture.pool.query("""
                SELECT value, sum(count)::bigint AS n FROM stats_top_counts WHERE tenant_id = ANY($1::uuid[]) AND dimension = 'company'
                GROUP BY value ORDER BY n DESC, value LIMIT 10
                """, ["{" + tenants.map { $0.uuidString }.joined(separator: ",") + "}"]).map {
                ClientStats.CompanyCount(company: try $0.decode(0, as: String.self), count: try $0.decode(1, as: Int64.self))
            }
            let answered = try await fixture.stats(.tenants(tenants), asOf: asOf)
            XCTAssertEqual(answered.demographics.topCompanies, expected)
        }
    }
}
