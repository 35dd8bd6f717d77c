import ClientDomain
@testable import EventStore
import EventLog
import Foundation
import Kafka
import Postgres
import TestSupport
import XCTest

/// Events keep the trace and causation of the command that wrote them, in the store and on
/// Kafka, and the outbox reports its backlog.
final class EventTracingTests: XCTestCase {
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01"

    func testStoredEventsKeepTheirTraceparentAndCausation() async throws {
        let fixture = try await EventStoreFixture.make()
        let metadata = CommandMetadata(actor: Actor(kind: .apiKey, id: "k1"), correlationId: "corr-9", causationId: "req-9",
                                       traceparent: traceparent)
        let id = UUID()
        _ = try await fixture.handler.handle(.create(CreateClient(clientId: id, tenantId: fixture.tenant,
                                                                  profile: ClientProfile(name: "Traced"))), metadata: metadata)
        _ = try await fixture.handler.handle(.update(UpdateClient(clientId: id, tenantId: fixture.tenant,
                                                                  changes: ClientProfileChanges(notes: .set("untraced")))),
                                             metadata: fixture.metadata)
        let stream = try await fixture.store.load(streamId: id)
        XCTAssertEqual(stream.map(\.traceparent), [traceparent, nil])
        XCTAssertEqual(stream.map(\.causationId), ["req-9", nil])
        XCTAssertEqual(stream.map(\.correlationId), ["corr-9", "corr-1"])
        let relayed = try await fixture.store.events(after: 0, limit: 10)
        XCTAssertEqual(relayed.map(\.envelope.traceparent), [traceparent, nil])
    }

    func testTheKafkaBindingCarriesTheTraceparentHeader() throws {
        let envelope = EventEnvelope(type: "client.deleted", schemaVersion: 1, streamId: UUID(), streamVersion: 3, tenantId: UUID(),
                                     occurredAt: Date(timeIntervalSince1970: 1_750_000_000), actor: .system, correlationId: "c",
                                     causationId: "req-1", data: Data("{}".utf8), traceparent: traceparent)
        let message = CloudEventsKafkaBinding.message(for: StoredEvent(position: 9, envelope: envelope), topic: "t")
        XCTAssertEqual(message.headers.first { $0.name == "traceparent" }?.value, Array(traceparent.utf8))
        func record(_ headers: [KafkaHeader]) -> KafkaRecord {
            KafkaRecord(topic: "t", partition: 0, offset: 0, key: message.key, value: message.value, headers: headers, timestamp: nil)
        }
        XCTAssertEqual(try CloudEventsKafkaBinding.event(from: record(message.headers)).envelope, envelope)

        // The CloudEvents attribute name is read too; a malformed value is dropped, not fatal.
        let plain = message.headers.filter { $0.name != "traceparent" }
        XCTAssertEqual(try CloudEventsKafkaBinding.event(from: record(plain + [KafkaHeader(name: "ce_traceparent", string: traceparent)]))
                        .envelope.traceparent, traceparent)
        XCTAssertNil(try CloudEventsKafkaBinding.event(from: record(plain + [KafkaHeader(name: "traceparent", string: "bogus")]))
                        .envelope.traceparent)
        XCTAssertNil(try CloudEventsKafkaBinding.event(from: record(plain)).envelope.traceparent)
    }

    func testOutboxBacklogCountsWaitingEntriesAndTheOldestAge() async throws {
        let fixture = try await EventStoreFixture.make()
        let empty = try await fixture.store.outboxBacklog()
        XCTAssertEqual(empty, OutboxBacklog(entries: 0, isExact: true, oldestAgeSeconds: 0))
        for index in 0..<5 { _ = try await fixture.createClient(ClientProfile(name: "Waiting \(index)")) }
        try await fixture.pool.execute("UPDATE outbox SET enqueued_at = now() - interval '90 seconds' WHERE position = 1")
        let waiting = try await fixture.store.outboxBacklog()
        XCTAssertEqual(waiting.entries, 5)
        XCTAssertTrue(waiting.isExact)
        XCTAssertGreaterThanOrEqual(waiting.oldestAgeSeconds, 90)
        XCTAssertLessThan(waiting.oldestAgeSeconds, 120)
        try await fixture.pool.execute("DELETE FROM outbox WHERE position <= 4")
        let one = try await fixture.store.outboxBacklog()
        XCTAssertEqual(one.entries, 1)
        XCTAssertLessThan(one.oldestAgeSeconds, 60)
    }
}
