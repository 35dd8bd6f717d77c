import ClientDomain
@testable import EventStore
import Coordination
import Foundation
import InternalAPI
import Kafka
import Postgres
import Projection
import SearchReadModel
import ServiceRuntime
import StatsReadModel
import Synchronization
import TestSupport
import XCTest

/// The property: after many random commands, every stats figure equals a brute-force
/// recomputation from the search read model built from the same log, and again after both
/// are rebuilt from the start of the log.
final class StatsPropertyTests: XCTestCase {
    /// The command handler's clock, moved by the test.
    final class SimulatedClock: Sendable {
        private let time: Mutex<Date>
        init(_ time: Date) { self.time = Mutex(time) }
        var now: Date { time.withLock { $0 } }
        func set(_ date: Date) { time.withLock { $0 = date } }
    }

    static let companies = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne",
                            "Soylent", "Aperture", "acme", " Acme", "", "  ", "Caf\u{E9}", "Cafe\u{301}"]
    static let industries = ["Technology", "Retail", "Health", "Finance", "Education", "Energy", "Media", "Travel", "Food",
                             "Legal", "Mining", "Sport", ""]
    static let locations = ["Sydney, NSW, Australia", "Melbourne, Australia", "Berlin, Germany", "Germany", "  Paris ,  France ",
                            "Lyon, france", "New York, United States", "Austin, TX, United States", "Tokyo, Japan", "Paris, ",
                            "", "Chile", "Lima, Peru", "Oslo, Norway", "Cairo, Egypt", "Delhi, India", "Quito, Ecuador",
                            "Rome, Italy", "Seoul,Korea"]
    static let providers = ["google", "github", "email", "apple", "", "microsoft"]

    func testEveryFigureEqualsABruteForceRecountAfterRandomCommandsAndAfterRebuilds() async throws {
        let commandCount = 10_000
        // STATS_PROPERTY_SEED replays a failing run's commands.
        let seed = ProcessInfo.processInfo.environment["STATS_PROPERTY_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        print("stats property test seed: \(seed) (STATS_PROPERTY_SEED=\(seed) replays it)")
        var rng = SplitMix64(state: seed)
        let log = try await ProjectionFixture.make()
        let stats = try await StatsFixture.make(on: log)
        let storeURL = try PostgresServer.shared().createDatabase("events")
        let storePool = PostgresPool(configuration: PostgresConfiguration(connectionString: storeURL, poolSize: 4))
        _ = try await MigrationRunner(migrations: EventStoreSchema.migrations).apply(on: storePool)
        // asOf is a Wednesday whose week began in the month before; events span ~60 days up to it.
        let asOf = try XCTUnwrap(Timestamp.parse("2026-04-01T12:00:00Z"))
        let start = asOf.addingTimeInterval(-60 * 86_400)
        let clock = SimulatedClock(start)
        let handler = ClientCommandHandler(store: PostgresEventStore(pool: storePool), now: { clock.now })
        let metadata = CommandMetadata(actor: Actor(kind: .user, id: "property"), correlationId: "property")
        let tenants = (0..<4).map { _ in UUID() }

        func pick<T>(_ values: [T]) -> T {
            // Skewed towards the front, so counts differ and some tie.
            let u = Double.random(in: 0..<1, using: &rng)
            return values[min(values.count - 1, Int(u * u * Double(values.count)))]
        }
        func maybe<T>(_ value: @autoclosure () -> T, _ chance: Double = 0.8) -> T? {
            Double.random(in: 0..<1, using: &rng) < chance ? value() : nil
        }
        func change<T>(_ value: @autoclosure () -> T) -> FieldChange<T> {
            Double.random(in: 0..<1, using: &rng) < 0.8 ? .set(value()) : .cleared
        }

        var live: [(id: UUID, tenant: UUID)] = []
        var tally: [String: Int] = [:]
        let started = ContinuousClock.now
        for index in 0..<commandCount {
            // Time moves forward with jitter of a few hours, so some activity lands out of order.
            let jitter = Double.random(in: -3 * 3600...3 * 3600, using: &rng)
            clock.set(start.addingTimeInterval(60 * 86_400 * Double(index) / Double(commandCount) + jitter))
            let roll = Double.random(in: 0..<1, using: &rng)
            let command: ClientCommand
            let target = live.isEmpty ? nil : Int.random(in: 0..<live.count, using: &rng)
            if roll < 0.28 || target == nil {
                let tenant = pick(tenants)
                let profile = ClientProfile(
                    name: "Client \(index)", email: maybe("c\(index)@example.com", 0.5), status: pick(ClientStatus.allCases),
                    companyName: maybe(pick(Self.companies)), industry: maybe(pick(Self.industries)),
                    location: maybe(pick(Self.locations)), accountType: maybe(pick(AccountType.allCases), 0.7),
                    plan: maybe(pick(Plan.allCases), 0.7), provider: maybe(pick(Self.providers)))
                let id = UUID()
                live.append((id, tenant))
                command = .create(CreateClient(clientId: id, tenantId: tenant, profile: profile))
                tally["create", default: 0] += 1
            } else if let target, roll < 0.62 {
                var changes = ClientProfileChanges()
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    switch Int.random(in: 0..<8, using: &rng) {
                    case 0: changes.status = pick(ClientStatus.allCases)
                    case 1: changes.plan = change(pick(Plan.allCases))
                    case 2: changes.accountType = change(pick(AccountType.allCases))
                    case 3: changes.location = change(pick(Self.locations))
                    case 4: changes.companyName = change(pick(Self.companies))
                    case 5: changes.industry = change(pick(Self.industries))
                    case 6: changes.provider = change(pick(Self.providers))
                    default: changes.notes = .set("note \(index)")
                    }
                }
                command = .update(UpdateClient(clientId: live[target].id, tenantId: live[target].tenant, changes: changes))
                tally["update", default: 0] += 1
            } else if let target, roll < 0.90 {
                let submission = Bool.random(using: &rng)
                command = .recordActivity(RecordActivity(clientId: live[target].id, tenantId: live[target].tenant, submission: submission))
                tally[submission ? "activity with submission" : "activity", default: 0] += 1
            } else if let target, roll < 0.97 {
                command = .delete(DeleteClient(clientId: live[target].id, tenantId: live[target].tenant))
                live.remove(at: target)
                tally["delete", default: 0] += 1
            } else if let target {
                command = .setPortalPassword(SetPortalPassword(clientId: live[target].id, tenantId: live[target].tenant))
                tally["portal password", default: 0] += 1
            } else {
                continue
            }
            _ = try await handler.handle(command, metadata: metadata)
        }
        let commandSeconds = ContinuousClock.now - started
        let relay = OutboxRelay(pool: storePool, topic: log.topic, logger: ProjectionFixture.quietLogger,
                                metrics: MetricsRegistry(), wake: RelayWakeup()) { [broker = log.broker] in
            try KafkaProducer(configuration: broker.configuration())
        }
        while try await relay.relayOnce() > 0 {}
        let eventCount = try await storePool.query("SELECT count(*) FROM events")[0].decode(0, as: Int64.self)
        await storePool.close()
        print("stats property test: \(commandCount) commands in \(commandSeconds), \(eventCount) events; \(tally.sorted { $0.key < $1.key })")

        let searchRunner = log.runner(batchSize: 1000)
        let statsRunner = stats.runner(batchSize: 1000)
        try await log.catchUp(searchRunner, timeout: .seconds(120))
        try await log.catchUp(statsRunner, timeout: .seconds(120))
        XCTAssertEqual(searchRunner.checkpoint.nextOffsets.values.reduce(0, +), eventCount)
        XCTAssertEqual(statsRunner.checkpoint.nextOffsets.values.reduce(0, +), eventCount)
        await searchRunner.close()
        await statsRunner.close()

        let scopes: [(name: String, stats: ClientListQuery.TenantScope, brute: [UUID]?)] = [
            ("tenant 0", .tenants([tenants[0]]), [tenants[0]]),
            ("tenant 3", .tenants([tenants[3]]), [tenants[3]]),
            ("tenants 1, 2", .tenants([tenants[1], tenants[2]]), [tenants[1], tenants[2]]),
            ("tenants 0, 3, 3", .tenants([tenants[0], tenants[3], tenants[3]]), [tenants[0], tenants[3]]),
            ("every tenant listed", .tenants(tenants), tenants),
            ("all tenants", .everyTenant, nil),
            ("unknown tenant", .tenants([UUID()]), [UUID()]),
        ]
        let asOfs = [asOf, try XCTUnwrap(Timestamp.parse("2026-03-31T23:59:59.999Z")), asOf.addingTimeInterval(-3 * 86_400),
                     asOf.addingTimeInterval(-20 * 86_400), asOf.addingTimeInterval(9 * 86_400)]
        func compareAll(_ when: String) async throws {
            var compared = 0
            for scope in scopes {
                for time in asOfs {
                    let counted = try await stats.stats(scope.stats, asOf: time)
                    let recounted = try await StatsBruteForce.stats(search: log.pool, tenants: scope.brute, asOf: time)
                    XCTAssertEqual(counted, recounted, "\(when): \(scope.name) as of \(Timestamp.format(time)), seed \(seed)")
                    compared += 1
                }
            }
            XCTAssertEqual(compared, scopes.count * asOfs.count)
        }
        try await compareAll("after the log was applied")
        let all = try await stats.stats(.everyTenant, asOf: asOf)
        XCTAssertGreaterThan(all.overview.totalClients, 1000, "a population large enough to matter")
        XCTAssertGreaterThan(all.growth.newClientsThisMonth, 0)
        XCTAssertGreaterThan(all.engagement.activeThisWeek, 0)
        XCTAssertEqual(all.demographics.topCountries.count, 10)
        XCTAssertEqual(all.demographics.topCompanies.count, 10)

        // Both read models rebuilt from the start of the log: the same figures, the same tables.
        let countersBefore = try await stats.checksum()
        let searchLive = log.runner(batchSize: 1000)
        let searchRebuild = ProjectionRebuild(live: searchLive, pool: log.pool, kafka: log.broker.configuration(),
                                              model: ClientSearchProjection(), logger: ProjectionFixture.quietLogger,
                                              metrics: log.metrics, batchSize: 1000)
        let statsLive = stats.runner(batchSize: 1000)
        let statsRebuild = stats.rebuild(of: statsLive, batchSize: 700)
        async let searchDone = rebuildToCompletion(searchLive, searchRebuild)
        async let statsDone = rebuildToCompletion(statsLive, statsRebuild)
        let (searchStatus, statsStatus) = try await (searchDone, statsDone)
        XCTAssertEqual(searchStatus.state, .done)
        XCTAssertEqual(statsStatus.state, .done)
        XCTAssertEqual(statsStatus.eventsApplied, eventCount)
        let countersAfter = try await stats.checksum()
        XCTAssertEqual(countersAfter, countersBefore, "a rebuild yields the same counters")
        let offsets = try await stats.offsetsSum()
        XCTAssertEqual(offsets, eventCount)
        try await compareAll("after both rebuilds")
    }
}
