import ClientDomain
import Foundation
import XCTest

final class ClientEventTests: XCTestCase {
    let tenant = UUID()
    let client = UUID()

    func envelope(_ type: String, version: Int, stream: Int64, data: String) -> EventEnvelope {
        EventEnvelope(type: type, schemaVersion: version, streamId: client, streamVersion: stream, tenantId: tenant,
                      occurredAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(stream)), actor: .system,
                      correlationId: "c", causationId: nil, data: Data(data.utf8))
    }

    func envelope(_ event: ClientEvent, stream: Int64) throws -> EventEnvelope {
        envelope(event.type, version: event.schemaVersion, stream: stream, data: String(decoding: try event.encode(), as: UTF8.self))
    }

    func testEventsRoundTripThroughTheirJSON() throws {
        let events: [ClientEvent] = [
            .created(ClientCreated(profile: ClientProfile(name: "A", email: "a@example.com", phone: "1", notes: "n", status: .trial))),
            .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(name: .set("B"), phone: .cleared, status: .inactive))),
            .deleted(ClientDeleted()),
            .created(ClientCreated(profile: ClientProfile(name: "L", address: "Dubai", source: "referral",
                                                          agents: [AgentAssignment(agentId: 42, agentName: "Ahmed Ali")]),
                                   number: 9)),
            .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(address: .cleared, agents: .set([])))),
            .portalPasswordSet(ClientPortalPasswordSet()),
        ]
        for (index, event) in events.enumerated() {
            XCTAssertEqual(try ClientEvent.decode(try envelope(event, stream: Int64(index + 1))), event)
        }
    }

    func testPartialChangesDistinguishAbsentFromNull() throws {
        let json = #"{"changes":{"phone":null,"name":"B"}}"#
        let event = try ClientEvent.decode(envelope(ClientProfileChanged.type, version: 1, stream: 2, data: json))
        XCTAssertEqual(event, .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(name: .set("B"), phone: .cleared))))
        XCTAssertEqual(String(decoding: try event.encode(), as: UTF8.self), #"{"changes":{"name":"B","phone":null}}"#)
    }

    /// A version-1 `client.created` (flat fields) still replays after the move to version 2.
    func testVersionOneCreatedIsUpcast() throws {
        let v1 = envelope(ClientCreated.type, version: 1, stream: 1, data: #"{"name":"Old","phone":"+1","notes":null}"#)
        XCTAssertEqual(try ClientEvent.decode(v1), .created(ClientCreated(profile: ClientProfile(name: "Old", phone: "+1", status: .active))))
        let v1Inactive = envelope(ClientCreated.type, version: 1, stream: 1, data: #"{"name":"Old","status":"inactive"}"#)
        XCTAssertEqual(try ClientEvent.decode(v1Inactive), .created(ClientCreated(profile: ClientProfile(name: "Old", status: .inactive))))
    }

    func testUnknownTypesAndVersionsAreErrorsNotCrashes() {
        XCTAssertThrowsError(try ClientEvent.decode(envelope("client.exploded", version: 1, stream: 1, data: "{}")))
        XCTAssertThrowsError(try ClientEvent.decode(envelope(ClientCreated.type, version: 3, stream: 1, data: "{}")))
        XCTAssertThrowsError(try ClientEvent.decode(envelope(ClientCreated.type, version: 0, stream: 1, data: "{}")))
        XCTAssertThrowsError(try ClientEvent.decode(envelope(ClientCreated.type, version: 1, stream: 1, data: "[1,2]")))
        XCTAssertThrowsError(try ClientEvent.decode(envelope(ClientCreated.type, version: 2, stream: 1, data: "not json")))
    }

    func testReplayFoldsAStream() throws {
        let stream = [
            envelope(ClientCreated.type, version: 1, stream: 1, data: #"{"name":"Old"}"#),
            try envelope(.profileChanged(ClientProfileChanged(changes: ClientProfileChanges(email: .set("o@example.com")))), stream: 2),
            try envelope(.profileChanged(ClientProfileChanged(changes: ClientProfileChanges(status: .suspended))), stream: 3),
        ]
        let folded = try XCTUnwrap(Client.replay(stream))
        XCTAssertEqual(folded.version, 3)
        XCTAssertEqual(folded.profile, ClientProfile(name: "Old", email: "o@example.com", status: .suspended))
        XCTAssertEqual(folded.createdAt, stream[0].occurredAt)
        XCTAssertEqual(folded.updatedAt, stream[2].occurredAt)
        XCTAssertFalse(folded.isDeleted)
        XCTAssertNil(folded.number, "clients older than numbers have none")
        XCTAssertFalse(folded.hasJoined)
        XCTAssertEqual(folded.createdBy, .system)
        XCTAssertNil(try Client.replay([]))
    }

    func testReplayRejectsCorruptStreams() throws {
        let created = envelope(ClientCreated.type, version: 2, stream: 1, data: #"{"profile":{"status":"active"}}"#)
        let skipped = try envelope(.deleted(ClientDeleted()), stream: 3)
        XCTAssertThrowsError(try Client.replay([created, skipped]))
        XCTAssertThrowsError(try Client.replay([try envelope(.deleted(ClientDeleted()), stream: 1)]))
    }
}
