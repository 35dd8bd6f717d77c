import ClientDomain
import Crypto
import EventLog
import Foundation
import JSON
import Synchronization
import XCTest

final class EventSealingTests: XCTestCase {
    let stream = UUID()
    let key = AESGCM(key: (0..<32).map { UInt8($0) })!

    func envelope(_ event: ClientEvent, stream: UUID? = nil, version: Int64 = 1) throws -> EventEnvelope {
        EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: stream ?? self.stream, streamVersion: version,
                      tenantId: UUID(), occurredAt: Date(timeIntervalSince1970: 1_700_000_000), actor: .system,
                      correlationId: "c", causationId: nil, data: try event.encode())
    }

    func sealed(_ envelope: EventEnvelope) throws -> EventEnvelope {
        var sealed = envelope
        sealed.data = try EventSealing.seal(envelope, key: key)
        return sealed
    }

    func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    let created = ClientEvent.created(ClientCreated(profile: ClientProfile(name: "Wendy Moira", email: "wendy@example.com",
                                                                           phone: "+61 400 111 222", notes: "knee surgery",
                                                                           status: .trial, address: "7 Hill St",
                                                                           plan: .premium, emailVerified: true),
                                                    number: 41))

    func testPersonalFieldsAreSealedAndClearOnesStayClear() throws {
        let stored = try sealed(envelope(created))
        let storedText = text(stored.data)
        for personal in ["Wendy", "wendy@example.com", "400 111", "knee", "Hill St"] {
            XCTAssertFalse(storedText.contains(personal), "\(personal) is in the stored data: \(storedText)")
        }
        let object: JSONValue = try JSONParser.parse(Array(stored.data))
        let profile: JSONValue? = object["profile"]
        XCTAssertEqual(object["number"], JSONValue.int(41))
        XCTAssertEqual(profile?["status"], JSONValue.string("trial"))
        XCTAssertEqual(profile?["plan"], JSONValue.string("premium"))
        XCTAssertEqual(profile?["emailVerified"], JSONValue.bool(true))
        XCTAssertNil(profile?["name"])
        XCTAssertNotNil(object["sealed"])

        let opened = try EventSealing.open(stored, key: .key(key))
        XCTAssertEqual(try ClientEvent.decode(opened), created)
    }

    func testEveryKindOfEventComesBackWhole() throws {
        let document = DocumentReference(id: UUID(), use: .care, documentType: nil, name: "wendy-mri.pdf",
                                         contentType: "application/pdf", size: 1234, sha256: String(repeating: "a", count: 64),
                                         uploadedAt: Date(timeIntervalSince1970: 1_700_000_000))
        let goal = CareRecord(id: UUID(), fields: ["title": .string("Walk to the shops alone"), "status": .string("active")])
        let events: [ClientEvent] = [
            created,
            .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(name: .set("W"), phone: .cleared, status: .inactive))),
            .deleted(ClientDeleted()),
            .portalPasswordSet(ClientPortalPasswordSet()),
            .activityRecorded(ClientActivityRecorded(submission: true)),
            .documentAttached(ClientDocumentAttached(document: document)),
            .documentReplaced(ClientDocumentReplaced(replacedId: UUID(), document: document)),
            .documentRemoved(ClientDocumentRemoved(documentId: UUID())),
            .careRecordChanged(ClientCareRecordChanged(kind: .goal, change: .added, record: goal, fields: ["title"])),
        ]
        for (index, event) in events.enumerated() {
            let stored = try sealed(envelope(event, version: Int64(index + 1)))
            for personal in ["wendy-mri", "Walk to the shops", "\"W\""] {
                XCTAssertFalse(text(stored.data).contains(personal), "\(event.type): \(text(stored.data))")
            }
            XCTAssertEqual(try ClientEvent.decode(EventSealing.open(stored, key: .key(key))), event, event.type)
        }
        // Ids stay clear: a document's, a care record's.
        let attached = try sealed(envelope(events[5], version: 6))
        XCTAssertTrue(text(attached.data).contains(document.id.uppercasedString), text(attached.data))
        let care = try sealed(envelope(events[8], version: 9))
        XCTAssertTrue(text(care.data).contains(goal.id.lowercasedString), text(care.data))
        // Nothing personal: stored as it was, opened without a key.
        let deleted = try envelope(events[2], version: 3)
        XCTAssertEqual(try sealed(deleted).data, deleted.data)
        XCTAssertEqual(try EventSealing.open(deleted, key: .unknown), deleted)
    }

    func testAlteredSealedPartDoesNotOpen() throws {
        var stored = try sealed(envelope(created))
        let object: JSONValue = try JSONParser.parse(Array(stored.data))
        guard case .object(var fields) = object, case .string(let sealedText)? = fields["sealed"],
              var bytes = Data(base64Encoded: sealedText) else { return XCTFail("no sealed part") }
        bytes[bytes.count / 2] ^= 1
        fields["sealed"] = JSONValue.string(bytes.base64EncodedString())
        stored.data = Data(JSONValue.object(fields).serialized())
        XCTAssertThrowsError(try EventSealing.open(stored, key: .key(key))) { error in
            XCTAssertEqual(error as? EventSealing.OpenError, .malformed)
        }
    }

    func testSealedPartIsBoundToItsStreamVersionAndType() throws {
        let stored = try sealed(envelope(created))
        var otherStream = stored
        otherStream.streamId = UUID()
        var otherVersion = stored
        otherVersion.streamVersion = 2
        var otherType = stored
        otherType.type = ClientProfileChanged.type
        for moved in [otherStream, otherVersion, otherType] {
            XCTAssertThrowsError(try EventSealing.open(moved, key: .key(key))) { error in
                XCTAssertEqual(error as? EventSealing.OpenError, .malformed)
            }
        }
        let otherKey = AESGCM(key: [UInt8](repeating: 9, count: 32))!
        XCTAssertThrowsError(try EventSealing.open(stored, key: .key(otherKey)))
    }

    func testErasedAndUnknownKeysAreTellable() throws {
        let stored = try sealed(envelope(created))
        XCTAssertThrowsError(try EventSealing.open(stored, key: .erased)) { XCTAssertEqual($0 as? EventSealing.OpenError, .erased) }
        XCTAssertThrowsError(try EventSealing.open(stored, key: .unknown)) { XCTAssertEqual($0 as? EventSealing.OpenError, .keyUnknown) }
        // Events stored before sealing existed open as they are, whatever the key.
        let plain = try envelope(created)
        XCTAssertEqual(try EventSealing.open(plain, key: .erased), plain)
    }

    func testBatchOpeningStandsInForWhatCannotBeOpened() async throws {
        let erasedStream = UUID()
        let unknownStream = UUID()
        let events = [
            StoredEvent(position: 1, envelope: try sealed(envelope(created))),
            StoredEvent(position: 2, envelope: try sealed(envelope(created, stream: erasedStream))),
            StoredEvent(position: 3, envelope: try sealed(envelope(created, stream: unknownStream))),
            StoredEvent(position: 4, envelope: try envelope(created, stream: UUID())),
        ]
        let source = FixedKeys(states: [stream: .key(key), erasedStream: .erased])
        let opened = try await EventSealing.open(events, keys: source)
        XCTAssertEqual(try opened[0].decoded(), created)
        XCTAssertEqual(opened[0].envelope, events[0].envelope, "an opened event keeps its envelope as stored (sealed)")
        XCTAssertNil(opened[3].opened, "an event with nothing sealed is decoded from its data")
        XCTAssertEqual(opened[1].envelope.type, EventSealing.Unopened.erased.rawValue)
        XCTAssertEqual(opened[2].envelope.type, EventSealing.Unopened.keyUnknown.rawValue)
        XCTAssertEqual(opened[3], events[3])
        XCTAssertEqual(Set(source.asked.withLock { $0 }), [stream, erasedStream, unknownStream], "only streams with sealed events are asked")
    }
}

/// Answers from a fixed table; remembers what it was asked.
final class FixedKeys: ClientKeySource {
    let states: [UUID: ClientKeyState]
    let asked = Mutex<[UUID]>([])

    init(states: [UUID: ClientKeyState]) { self.states = states }

    func keys(for streamIds: [UUID]) async throws -> [UUID: ClientKeyState] {
        asked.withLock { $0 += streamIds }
        return states.filter { streamIds.contains($0.key) }
    }
}
