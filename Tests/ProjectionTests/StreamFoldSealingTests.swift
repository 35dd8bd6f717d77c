import ClientDomain
import EventLog
import Foundation
import Projection
import XCTest

/// How the fold treats events whose sealed part could not be opened (`EventSealing.Unopened`):
/// an erased one moves its stream past it and is counted, never parked; one whose key is
/// unknown parks the stream.
final class StreamFoldSealingTests: XCTestCase {
    struct State: StreamFoldState {
        var tenantId: UUID
        var version: Int64
        var name: String?
        var tombstone = false

        init(tenantId: UUID, version: Int64, name: String?) {
            self.tenantId = tenantId
            self.version = version
            self.name = name
        }

        init(tombstoneOf id: UUID, tenantId: UUID, version: Int64) {
            self.init(tenantId: tenantId, version: version, name: nil)
            tombstone = true
        }
    }

    let tenant = UUID()

    func event(_ stream: UUID, _ version: Int64, _ event: ClientEvent) throws -> StoredEvent {
        StoredEvent(position: version, envelope: EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: stream,
                                                               streamVersion: version, tenantId: tenant, occurredAt: Date(),
                                                               actor: .system, correlationId: "c", causationId: nil,
                                                               data: try event.encode()))
    }

    func unopened(_ stream: UUID, _ version: Int64, _ kind: EventSealing.Unopened) throws -> StoredEvent {
        var stored = try event(stream, version, .deleted(ClientDeleted()))
        stored.envelope.type = kind.rawValue
        return stored
    }

    func fold(_ events: [StoredEvent], into states: inout [UUID: State]) -> ProjectionApplyOutcome {
        var outcome = ProjectionApplyOutcome()
        _ = StreamFold.fold(events, into: &states, outcome: &outcome, apply: { state, event, envelope in
            state.version = envelope.streamVersion
            if case .profileChanged(let changed) = event, case .set(let name) = changed.changes.name { state.name = name }
        }, create: { event, envelope in
            guard case .created(let created) = event else { return nil }
            return State(tenantId: envelope.tenantId, version: envelope.streamVersion, name: created.profile.name)
        })
        return outcome
    }

    func testAnErasedEventMovesItsStreamPastItWithoutApplyingIt() throws {
        let stream = UUID()
        var states: [UUID: State] = [:]
        _ = fold([try event(stream, 1, .created(ClientCreated(profile: ClientProfile(name: "Before"))))], into: &states)
        let outcome = fold([try unopened(stream, 2, .erased),
                            try event(stream, 3, .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(name: .set("After")))))],
                           into: &states)
        XCTAssertEqual(outcome.erased, 1)
        XCTAssertEqual(outcome.appliedCount, 1, "the event after the erased one applies")
        XCTAssertTrue(outcome.rejected.isEmpty)
        XCTAssertEqual(states[stream]?.version, 3)
        XCTAssertEqual(states[stream]?.name, "After")
    }

    /// A read model that was behind when the client was erased (its key was shredded before
    /// the creation was read) keeps the tombstone the erasure leaves, at every version after,
    /// so it reaches the erased version (the erasure's receipt waits for that).
    func testAnErasedCreationLeavesATombstoneThatItsLaterEventsMovePast() throws {
        let stream = UUID()
        var states: [UUID: State] = [:]
        let outcome = fold([try unopened(stream, 1, .erased), try unopened(stream, 2, .erased),
                            try event(stream, 3, .deleted(ClientDeleted()))], into: &states)
        XCTAssertEqual(states[stream]?.tombstone, true)
        XCTAssertEqual(states[stream]?.tenantId, tenant)
        XCTAssertEqual(states[stream]?.version, 3)
        XCTAssertEqual(outcome.erased, 2)
        XCTAssertEqual(outcome.early, 0, "nothing waits for an event that will never come")
        XCTAssertEqual(outcome.applied.map(\.version), [3])
        XCTAssertTrue(outcome.rejected.isEmpty, "an erased client is never parked")
    }

    func testAnEventWhoseKeyIsUnknownParksItsStream() throws {
        let stream = UUID()
        let other = UUID()
        var states: [UUID: State] = [:]
        let outcome = fold([try unopened(stream, 1, .keyUnknown),
                            try event(stream, 2, .deleted(ClientDeleted())),
                            try event(other, 1, .created(ClientCreated(profile: ClientProfile(name: "Other"))))], into: &states)
        XCTAssertEqual(outcome.rejected.map(\.version), [1, 2])
        XCTAssertEqual(outcome.rejected.first?.reason, EventSealing.Unopened.keyUnknown.reason)
        XCTAssertNil(states[stream])
        XCTAssertEqual(states[other]?.name, "Other")
    }
}
