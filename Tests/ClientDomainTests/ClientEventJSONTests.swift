import ClientDomain
import Foundation
import XCTest

/// `ClientEvent.encode()` and `decode(_:)` no longer go through `JSONEncoder`/`JSONDecoder`;
/// events already stored were written by `JSONEncoder` (sorted keys, unescaped slashes) and
/// must read the same, and new events must be stored in the same form.
final class ClientEventJSONTests: XCTestCase {
    /// The coding the events were stored with before `JSONValue` wrote them.
    private func codableData(_ event: ClientEvent) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch event {
        case .created(let event): return try encoder.encode(event)
        case .profileChanged(let event): return try encoder.encode(event)
        case .deleted(let event): return try encoder.encode(event)
        case .portalPasswordSet(let event): return try encoder.encode(event)
        case .activityRecorded(let event): return try encoder.encode(event)
        // Never stored through `JSONEncoder`: their only form is `encode()`'s.
        case .documentAttached, .documentReplaced, .documentRemoved, .careRecordChanged, .erased: return try event.encode()
        }
    }

    private func codableDecode(_ event: ClientEvent, _ data: Data) throws -> ClientEvent {
        let decoder = JSONDecoder()
        switch event {
        case .created: return .created(try decoder.decode(ClientCreated.self, from: data))
        case .profileChanged: return .profileChanged(try decoder.decode(ClientProfileChanged.self, from: data))
        case .deleted: return .deleted(try decoder.decode(ClientDeleted.self, from: data))
        case .portalPasswordSet: return .portalPasswordSet(try decoder.decode(ClientPortalPasswordSet.self, from: data))
        case .activityRecorded: return .activityRecorded(try decoder.decode(ClientActivityRecorded.self, from: data))
        case .documentAttached, .documentReplaced, .documentRemoved, .careRecordChanged, .erased:
            return try ClientEvent.decode(envelope(event, data: data))
        }
    }

    private func envelope(_ event: ClientEvent, data: Data) -> EventEnvelope {
        EventEnvelope(type: event.type, schemaVersion: event.schemaVersion, streamId: UUID(), streamVersion: 1, tenantId: UUID(),
                      occurredAt: Date(timeIntervalSince1970: 1_700_000_000), actor: .system, correlationId: "c",
                      causationId: nil, data: data)
    }

    /// Every field set, with text that needs escaping, non-ASCII, slashes and extreme numbers.
    private static let fullProfile = ClientProfile(
        name: "Zoë \"Z\" O'Brien \\ 🙂", email: "z@example.com", phone: "+971 50 000 0000", notes: "line 1\nline 2\ttab\r",
        status: .suspended, address: "Dubai / Marina", source: "https://example.com/a?b=c&d=<e>",
        agents: [AgentAssignment(agentId: Int64.max, agentName: "Ahmed"), AgentAssignment(agentId: Int64.min, agentName: "")],
        displayName: "Zo", username: "zoe", bio: "", jobTitle: "CTO", companyName: "Acme", industry: "tech",
        website: "https://acme.example/", location: "Dubai, UAE", accountType: .enterprise, plan: .premium, provider: "google",
        emailVerified: true, twoFactorEnabled: false, avatar: "https://cdn.example/a.png")

    private static let events: [ClientEvent] = [
        .created(ClientCreated(profile: ClientProfile())),
        .created(ClientCreated(profile: fullProfile, number: 1)),
        .created(ClientCreated(profile: ClientProfile(name: "N", agents: []), number: 0)),
        .profileChanged(ClientProfileChanged(changes: ClientProfileChanges())),
        .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(
            name: .set("B"), email: .cleared, phone: .set(""), notes: .cleared, status: .trial, address: .set("x/y"),
            source: .cleared, agents: .set([AgentAssignment(agentId: 3, agentName: "C")]), displayName: .cleared,
            username: .set("u"), bio: .cleared, jobTitle: .set("j"), companyName: .cleared, industry: .set("i"),
            website: .cleared, location: .set("l"), accountType: .set(.business), plan: .cleared, provider: .set("github"),
            emailVerified: .cleared, twoFactorEnabled: .set(true), avatar: .cleared))),
        .profileChanged(ClientProfileChanged(changes: ClientProfileChanges(agents: .cleared, accountType: .cleared,
                                                                           plan: .set(.standard), emailVerified: .set(false)))),
        .deleted(ClientDeleted()),
        .erased(ClientErased()),
        .portalPasswordSet(ClientPortalPasswordSet()),
        .activityRecorded(ClientActivityRecorded(submission: true)),
        .activityRecorded(ClientActivityRecorded(submission: false)),
        .documentAttached(ClientDocumentAttached(document: DocumentReference(
            id: UUID(uuidString: "6F1D7A1E-0B7C-4E8F-9A51-0C1B2D3E4F50")!, use: .care, documentType: .ndisPlan,
            name: "Plan \"2024\" ✓.pdf", contentType: "application/pdf", size: 1234,
            sha256: String(repeating: "ab", count: 32), uploadedAt: Date(timeIntervalSince1970: 1_700_000_000.125)))),
        .documentReplaced(ClientDocumentReplaced(replacedId: UUID(), document: DocumentReference(
            id: UUID(), use: .passport, name: "p.png", contentType: "image/png", size: 0,
            sha256: String(repeating: "0", count: 64), uploadedAt: Date(timeIntervalSince1970: 0)))),
        .documentRemoved(ClientDocumentRemoved(documentId: UUID())),
        .careRecordChanged(ClientCareRecordChanged(kind: .goal, change: .added, record: CareRecord(
            id: UUID(), fields: ["title": "Walk \"further\" / 🙂", "status": "not_started"]), fields: ["title"])),
        .careRecordChanged(ClientCareRecordChanged(kind: .goalTask, change: .changed, goalId: UUID(), record: CareRecord(
            id: UUID(), fields: ["title": "t", "done": true]), fields: ["done"])),
        .careRecordChanged(ClientCareRecordChanged(kind: .appointment, change: .added, record: CareRecord(
            id: UUID(), fields: ["healthCarerId": .string(UUID().uuidString.lowercased()), "startsAt": "2026-01-05T22:00:00.000Z",
                                 "endsAt": "2026-01-05T23:00:00.000Z", "serviceType": "Support", "status": "scheduled"]),
            fields: ["serviceType"])),
    ]

    func testNewEventsAreStoredByteForByteAsJSONEncoderStoredThem() throws {
        for event in Self.events {
            let written = try event.encode()
            XCTAssertEqual(String(decoding: written, as: UTF8.self), String(decoding: try codableData(event), as: UTF8.self))
        }
    }

    func testEventsStoredByJSONEncoderDecodeAsJSONDecoderDecodedThem() throws {
        for event in Self.events {
            let stored = try codableData(event)
            let decoded = try ClientEvent.decode(envelope(event, data: stored))
            XCTAssertEqual(decoded, event)
            XCTAssertEqual(decoded, try codableDecode(event, stored))
        }
    }

    /// Control characters are written `\u00XX` where `JSONEncoder` writes `\b` or `\f`: other
    /// bytes, the same string, so a reader of the log sees the same values.
    func testControlCharactersWriteTheSameStrings() throws {
        var text = ""
        for scalar in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        text += "\u{7F}\u{2028}\u{2029}\u{FEFF}"
        let event = ClientEvent.created(ClientCreated(profile: ClientProfile(name: text, notes: "/\\\"")))
        let written = try event.encode()
        let viaDecoder = try JSONDecoder().decode(ClientCreated.self, from: written)
        XCTAssertEqual(ClientEvent.created(viaDecoder), event)
        XCTAssertEqual(try ClientEvent.decode(envelope(event, data: try codableData(event))), event)
        let writtenObject = try JSONSerialization.jsonObject(with: written) as? NSDictionary
        let storedObject = try JSONSerialization.jsonObject(with: try codableData(event)) as? NSDictionary
        XCTAssertEqual(writtenObject, storedObject)
    }

    /// What `JSONDecoder` accepted and refused in stored data, the new reader accepts and
    /// refuses: unknown keys ignored, integers written with an exponent, nulls for optionals;
    /// wrong types, a missing required field and bad enum values are malformed events.
    func testLenienceAndStrictnessMatchJSONDecoder() throws {
        let created = ClientEvent.created(ClientCreated(profile: ClientProfile()))
        let accepted = [
            #"{"profile":{"status":"active","name":null,"future":[1,{"x":2}]},"number":null,"other":true}"#,
            #"{"profile":{"status":"active","agents":[{"agentId":1e2,"agentName":"A"}]},"number":7.0}"#,
        ]
        for text in accepted {
            let data = Data(text.utf8)
            XCTAssertEqual(try ClientEvent.decode(envelope(created, data: data)), try codableDecode(created, data), text)
        }
        let refused = [
            #"{"profile":{}}"#, #"{"profile":{"status":"gone"}}"#, #"{"profile":{"status":"active","name":1}}"#,
            #"{"profile":{"status":"active"},"number":1.5}"#, #"{"profile":{"status":"active","emailVerified":"true"}}"#,
            #"{}"#, #"[]"#, #"{"profile":{"status":"active"}"#,
        ]
        for text in refused {
            let data = Data(text.utf8)
            XCTAssertThrowsError(try codableDecode(created, data), text)
            XCTAssertThrowsError(try ClientEvent.decode(envelope(created, data: data)), text) { error in
                XCTAssertEqual(error as? EventDecodingError, .malformed(type: ClientCreated.type, version: 2), text)
            }
        }
        let activity = ClientEvent.activityRecorded(ClientActivityRecorded(submission: true))
        for text in [#"{}"#, #"{"submission":1}"#, #"{"submission":null}"#] {
            XCTAssertThrowsError(try codableDecode(activity, Data(text.utf8)), text)
            XCTAssertThrowsError(try ClientEvent.decode(envelope(activity, data: Data(text.utf8))), text)
        }
        let changed = ClientEvent.profileChanged(ClientProfileChanged(changes: ClientProfileChanges()))
        for text in [#"{}"#, #"{"changes":null}"#, #"{"changes":{"status":null,"plan":"gold"}}"#, #"{"changes":{"agents":[1]}}"#] {
            XCTAssertThrowsError(try codableDecode(changed, Data(text.utf8)), text)
            XCTAssertThrowsError(try ClientEvent.decode(envelope(changed, data: Data(text.utf8))), text)
        }
    }
}
