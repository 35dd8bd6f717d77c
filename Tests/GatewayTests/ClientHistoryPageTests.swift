import ClientDomain
import Foundation
import InternalAPI
import JSON
import XCTest

/// The pages the command service answers a client's history in (`ClientHistoryPage`): bounded
/// by events and by bytes of event data, never empty while events are left, each page naming
/// the version to ask from next; and the wire form reads back what it writes.
final class ClientHistoryPageTests: XCTestCase {
    private let stream = UUID()
    private let tenant = UUID()

    private func envelopes(_ count: Int, dataBytes: Int = 20) -> [EventEnvelope] {
        (1...count).map { version in
            EventEnvelope(type: ClientActivityRecorded.type, schemaVersion: 1, streamId: stream, streamVersion: Int64(version),
                          tenantId: tenant, occurredAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(version)),
                          actor: Actor(kind: .user, id: "u-\(version)"), correlationId: "c", causationId: nil,
                          data: Data(repeating: 0x20, count: dataBytes))
        }
    }

    /// Every page of `all`, as a reader follows `nextVersion`.
    private func pages(_ all: [EventEnvelope]) -> [ClientHistoryPage] {
        var pages: [ClientHistoryPage] = []
        var after: Int64 = 0
        while true {
            let page = ClientHistoryPage.page(of: all, after: after) { .object(["v": .int($0.streamVersion)]) }
            pages.append(page)
            guard let next = page.nextVersion else { return pages }
            after = next
        }
    }

    func testPagesHoldAtMostMaxEventsAndTogetherEveryEventInOrder() {
        let all = envelopes(ClientHistoryPage.maxEvents * 2 + 7)
        let pages = pages(all)
        XCTAssertEqual(pages.map(\.events.count), [ClientHistoryPage.maxEvents, ClientHistoryPage.maxEvents, 7])
        XCTAssertEqual(pages.flatMap(\.events).map(\.version), all.map(\.streamVersion))
        XCTAssertEqual(pages.flatMap(\.events).map(\.actor.id), all.map(\.actor.id))
        XCTAssertEqual(pages.map(\.nextVersion), [Int64(ClientHistoryPage.maxEvents), Int64(ClientHistoryPage.maxEvents * 2), nil])
    }

    func testAPageStopsAfterTheEventThatTakesItPastTheByteBound() {
        // Each event holds a third of the bound: the fourth takes the page past it.
        let all = envelopes(10, dataBytes: ClientHistoryPage.maxDataBytes / 3 + 1)
        let pages = pages(all)
        XCTAssertEqual(pages.map(\.events.count), [3, 3, 3, 1])
        // One event larger than the bound still comes, alone.
        let huge = envelopes(2, dataBytes: ClientHistoryPage.maxDataBytes * 2)
        XCTAssertEqual(self.pages(huge).map(\.events.count), [1, 1])
    }

    func testAfterTheLastVersionThePageIsEmptyAndLast() {
        let page = ClientHistoryPage.page(of: envelopes(3), after: 3) { _ in .null }
        XCTAssertEqual(page, ClientHistoryPage(events: [], nextVersion: nil))
    }

    func testTheWireFormReadsBackWhatItWrites() throws {
        let page = ClientHistoryPage(events: [
            .init(type: "client.created", version: 1, occurredAt: Date(timeIntervalSince1970: 1_800_000_000.123),
                  actor: Actor(kind: .apiKey, id: "key-1"), data: ["profile": ["name": "Ann"], "number": 7]),
            .init(type: "client.deleted", version: 2, occurredAt: Date(timeIntervalSince1970: 1_800_000_001),
                  actor: .system, data: [:]),
        ], nextVersion: 2)
        XCTAssertEqual(try ClientHistoryPage(json: JSONParser.parse(page.json.serialized())), page)
        XCTAssertThrowsError(try ClientHistoryPage(json: ["events": [["type": "client.created"]], "nextVersion": .null]))
    }
}
