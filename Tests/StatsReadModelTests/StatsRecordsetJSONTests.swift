import ClientDomain
import Foundation
import Projection
@testable import StatsReadModel
import XCTest

/// The stats upserts' JSON is written by `RecordsetJSON` instead of `JSONEncoder`; PostgreSQL
/// must read the same rows from it, whatever the values hold.
final class StatsRecordsetJSONTests: XCTestCase {
    private func parsed(_ text: String) throws -> NSArray {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSArray)
    }

    private func encoded(_ value: some Encodable) throws -> NSArray {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? NSArray)
    }

    func testStateRowsAreWrittenAsJSONEncoderWroteThem() throws {
        let tenant = UUID()
        let full = ClientProfile(name: "N", status: .trial, companyName: "Caf\u{E9} \"Q\" \\ \u{01}", industry: "Retail/Food",
                                 location: "Santiago, Chile", accountType: .business, plan: .premium, provider: "email")
        var records: [StatsClientState.Record] = []
        for (index, profile) in [full, ClientProfile()].enumerated() {
            let event = ClientEvent.created(ClientCreated(profile: profile))
            let envelope = EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: UUID(),
                                         streamVersion: 1, tenantId: tenant,
                                         occurredAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(index)),
                                         actor: .system, correlationId: "c", causationId: nil, data: try event.encode())
            records.append(try XCTUnwrap(StatsClientState(creating: event, envelope: envelope)).record)
        }
        XCTAssertEqual(try parsed(RecordsetJSON.array(records) { json, record in record.writeFields(to: &json) }), try encoded(records))
        XCTAssertEqual(try parsed(RecordsetJSON.array([StatsClientState.Record]()) { json, record in record.writeFields(to: &json) }),
                       try encoded([StatsClientState.Record]()))
    }

    func testCounterAndDayChangesAreWrittenAsJSONEncoderWroteThem() throws {
        var delta = StatsDelta()
        let tenant = UUID()
        delta.add(.company, "Cafe\u{301} \"x\"\n", 3, tenant: tenant)
        delta.add(.plan, "free", -2, tenant: tenant)
        delta.add(.created, try XCTUnwrap(StatsDay(text: "2026-03-10")), Int64.min + 1, tenant: tenant)
        let counters = delta.counterRecords, days = delta.dayRecords
        XCTAssertEqual(counters.count, 4)
        XCTAssertEqual(try parsed(RecordsetJSON.array(counters) { json, counter in counter.writeFields(to: &json) }), try encoded(counters))
        XCTAssertEqual(try parsed(RecordsetJSON.array(days) { json, day in day.writeFields(to: &json) }), try encoded(days))
    }
}
