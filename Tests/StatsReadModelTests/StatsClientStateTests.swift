import ClientDomain
import Foundation
import InternalAPI
@testable import StatsReadModel
import XCTest

/// What each event does to a client's counters: the old contribution taken off, the new
/// one added, and nothing left behind by a deleted client.
final class StatsClientStateTests: XCTestCase {
    let tenant = UUID()
    let client = UUID()
    var version: Int64 = 0

    func envelope(_ event: ClientEvent, at time: String = "2026-03-10T12:00:00Z") throws -> EventEnvelope {
        version += 1
        return EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: client, streamVersion: version,
                             tenantId: tenant, occurredAt: try XCTUnwrap(Timestamp.parse(time)), actor: .system,
                             correlationId: "c", causationId: nil, data: try event.encode())
    }

    /// The tenant's non-zero counters, as "dimension/value" → count.
    func counters(_ delta: StatsDelta, tenant: UUID? = nil) -> [String: Int64] {
        let tenant = tenant ?? self.tenant
        var result: [String: Int64] = [:]
        for (key, amount) in delta.counters where key.tenantId == tenant && amount != 0 {
            result["\(key.dimension.rawValue)/\(key.value)"] = amount
        }
        for (key, amount) in delta.days where key.tenantId == tenant && amount != 0 {
            result["\(key.kind.rawValue)/\(key.day.text)"] = amount
        }
        return result
    }

    /// Applies `event` to `state` and returns the counter change it makes.
    func change(_ state: inout StatsClientState, _ event: ClientEvent, at time: String = "2026-03-10T12:00:00Z") throws -> [String: Int64] {
        var delta = StatsDelta()
        state.count(into: &delta, sign: -1)
        state.apply(event, envelope: try envelope(event, at: time))
        state.count(into: &delta, sign: 1)
        return counters(delta)
    }

    func testACreatedClientCountsInEveryDimensionWithDefaults() throws {
        let created = ClientEvent.created(ClientCreated(profile: ClientProfile(
            name: "Ada", status: .trial, companyName: "Acme", industry: "  ", location: "London, United Kingdom", provider: "")))
        let state = try XCTUnwrap(StatsClientState(creating: created, envelope: try envelope(created, at: "2026-03-09T23:59:00Z")))
        var delta = StatsDelta()
        state.count(into: &delta, sign: 1)
        XCTAssertEqual(counters(delta), [
            "total/clients": 1, "status/trial": 1, "plan/free": 1, "account_type/individual": 1,
            "country/United Kingdom": 1, "company/Acme": 1, "created/2026-03-09": 1,
        ], "no plan counts as free, no account type as individual; blank industry and provider count nowhere")
        XCTAssertEqual(counters(delta, tenant: StatsSchema.allTenants), counters(delta), "the all-tenants sums move with it")
        XCTAssertNil(StatsClientState(creating: .deleted(ClientDeleted()), envelope: try envelope(.deleted(ClientDeleted()))))
    }

    func testChangesMoveCountsBetweenValuesAndClearsFallBackToDefaults() throws {
        let created = ClientEvent.created(ClientCreated(profile: ClientProfile(
            name: "Ada", accountType: .business, plan: .premium, provider: "github")))
        var state = try XCTUnwrap(StatsClientState(creating: created, envelope: try envelope(created)))
        XCTAssertEqual(try change(&state, .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(
            status: .suspended, companyName: .set("Globex"), location: .set("Lyon, France"), plan: .cleared, provider: .set("google"))))), [
            "status/active": -1, "status/suspended": 1, "plan/premium": -1, "plan/free": 1,
            "provider/github": -1, "provider/google": 1, "company/Globex": 1, "country/France": 1,
        ])
        XCTAssertEqual(try change(&state, .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(
            name: .set("Ada L."), accountType: .cleared)))), ["account_type/business": -1, "account_type/individual": 1],
            "a change to a field the stats ignore moves nothing")
        XCTAssertEqual(try change(&state, .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(
            location: .set("Paris, France"))))), [:], "same country: nothing moves")
        XCTAssertEqual(try change(&state, .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(
            location: .cleared)))), ["country/France": -1])
        XCTAssertEqual(try change(&state, .portalPasswordSet(ClientPortalPasswordSet())), [:])
    }

    func testActivityMovesTheLastActiveDayAndCountsSubmissions() throws {
        let created = ClientEvent.created(ClientCreated(profile: ClientProfile(name: "Ada")))
        var state = try XCTUnwrap(StatsClientState(creating: created, envelope: try envelope(created)))
        XCTAssertEqual(try change(&state, .activityRecorded(ClientActivityRecorded(submission: true)), at: "2026-03-11T08:00:00Z"),
                       ["active/2026-03-11": 1, "total/submissions": 1])
        XCTAssertEqual(try change(&state, .activityRecorded(ClientActivityRecorded(submission: false)), at: "2026-03-11T09:00:00Z"),
                       [:], "same day, no submission")
        XCTAssertEqual(try change(&state, .activityRecorded(ClientActivityRecorded(submission: true)), at: "2026-03-14T09:00:00Z"),
                       ["active/2026-03-11": -1, "active/2026-03-14": 1, "total/submissions": 1])
        // The last activity applied wins, even when its time is earlier (as in the search model).
        XCTAssertEqual(try change(&state, .activityRecorded(ClientActivityRecorded(submission: false)), at: "2026-03-12T09:00:00Z"),
                       ["active/2026-03-14": -1, "active/2026-03-12": 1])
        XCTAssertEqual(state.submissions, 2)
    }

    func testADeletedClientLeavesEveryCounterAndNothingLaterBringsItBack() throws {
        let created = ClientEvent.created(ClientCreated(profile: ClientProfile(
            name: "Ada", status: .inactive, companyName: "Acme", industry: "Retail", location: "Chile", plan: .standard,
            provider: "email")))
        var state = try XCTUnwrap(StatsClientState(creating: created, envelope: try envelope(created, at: "2026-02-01T00:00:00Z")))
        _ = try change(&state, .activityRecorded(ClientActivityRecorded(submission: true)), at: "2026-02-03T00:00:00Z")
        XCTAssertEqual(try change(&state, .deleted(ClientDeleted())), [
            "total/clients": -1, "total/submissions": -1, "status/inactive": -1, "plan/standard": -1,
            "account_type/individual": -1, "provider/email": -1, "country/Chile": -1, "company/Acme": -1, "industry/Retail": -1,
            "created/2026-02-01": -1, "active/2026-02-03": -1,
        ])
        XCTAssertTrue(state.deleted)
        XCTAssertEqual(state.version, 3)
        XCTAssertNil(state.company, "a tombstone keeps no profile values")
        XCTAssertEqual(try change(&state, .activityRecorded(ClientActivityRecorded(submission: true))), [:])
        XCTAssertEqual(state.version, 4)
    }

    func testValuesAreToldApartByteByByte() {
        // "é" precomposed and decomposed are equal Swift strings but distinct PostgreSQL values.
        var delta = StatsDelta()
        delta.add(.company, "Caf\u{E9}", 1, tenant: tenant)
        delta.add(.company, "Cafe\u{301}", 1, tenant: tenant)
        delta.add(.company, "Caf\u{E9}", -1, tenant: tenant)
        let records = delta.counterRecords.filter { $0.tenant_id == tenant.uuidString.lowercased() }
        XCTAssertEqual(records.count, 1)
        XCTAssertTrue(records[0].value.utf8.elementsEqual("Cafe\u{301}".utf8))
    }

    func testFiguresFollowTheirDefinitions() throws {
        let periods = StatsPeriods(asOf: try XCTUnwrap(Timestamp.parse("2026-04-01T10:00:00Z")))
        func day(_ text: String) throws -> StatsDay { try XCTUnwrap(StatsDay(text: text)) }
        let figures = StatsFigures(
            fixed: [.total: ["clients": 40, "submissions": 101], .status: ["active": 30, "trial": 10],
                    .plan: ["free": 28, "standard": 7, "premium": 5], .accountType: ["business": 40]],
            created: [try day("2026-03-30"): 3, try day("2026-03-31"): 2, try day("2026-04-01"): 4, try day("2026-04-07"): 1,
                      try day("2026-05-02"): 2],
            active: [try day("2026-03-29"): 9, try day("2026-03-30"): 5, try day("2026-04-01"): 6, try day("2026-04-30"): 1],
            periods: periods)
        let stats = figures.stats(countries: [("Chile", 3)], companies: [], industries: [("Retail", 2)],
                                  providers: [("google", 5), ("github", 1)])
        XCTAssertEqual(stats.overview, .init(totalClients: 40, activeClients: 30, trialClients: 10))
        // Month: April 1st to 30th (4 + 1); the week: March 30th to April 5th (3 + 2 + 4).
        // Before April: 40 live minus the 7 created on or after April 1st = 33.
        XCTAssertEqual(stats.growth, .init(newClientsToday: 4, newClientsThisWeek: 9, newClientsThisMonth: 5, growthRate: 15.2))
        XCTAssertEqual(stats.plans, .init(free: 28, standard: 7, premium: 5, conversionRate: 30.0))
        XCTAssertEqual(stats.accountTypes, .init(business: 40))
        XCTAssertEqual(stats.engagement, .init(averageSubmissions: 2.5, totalSubmissions: 101, activeThisWeek: 11, activeThisMonth: 7))
        XCTAssertEqual(stats.demographics.topCountries, [.init(country: "Chile", count: 3)])
        XCTAssertEqual(stats.demographics.topIndustries, [.init(industry: "Retail", count: 2)])
        XCTAssertEqual(stats.providers, ["google": 5, "github": 1])
        let empty = StatsFigures(fixed: [:], created: [:], active: [:], periods: periods)
            .stats(countries: [], companies: [], industries: [], providers: [])
        XCTAssertEqual(empty, ClientStats(), "no clients: every figure 0, rates too")
    }
}
