import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import XCTest

/// The internal API types' own codings (`internalJSON`/`internalJSONBytes`, `init(internalJSON:)`)
/// against their `Codable` coding through `InternalJSON`: for varied values both write the
/// same bytes and read back the same value, and bad bodies fail the same way, so the two
/// codings cannot drift apart.
final class InternalJSONCodingTests: XCTestCase {
    // MARK: Records

    func testRecordsRoundTripLikeTheCodableCoding() throws {
        var random = Generator(seed: 1)
        for _ in 0..<300 {
            let record = random.record()
            try assertSameCoding(record, ClientRecord.init(internalJSON:)) { $0.internalJSONBytes }
        }
    }

    func testRecordsWithMillisecondsDecodeAsJSONDecoderDecodesThem() throws {
        for milliseconds in [1, 7, 123, 999] {
            var generator = Generator(seed: UInt64(milliseconds))
            var record = generator.record()
            record.createdAt = Date(timeIntervalSince1970: 1_763_900_000 + Double(milliseconds) / 1000)
            let bytes = record.internalJSONBytes
            XCTAssertEqual(try ClientRecord(internalJSON: JSONParser.parse(bytes)),
                           try InternalJSON.decoder().decode(ClientRecord.self, from: Data(bytes)))
        }
    }

    func testRecordMissingARequiredKeyFailsLikeJSONDecoder() throws {
        var generator = Generator(seed: 2)
        let record = generator.record()
        guard case .object(let full) = try JSONParser.parse(record.internalJSONBytes) else { return XCTFail("not an object") }
        for key in ["id", "tenantId", "profile", "version", "createdAt", "updatedAt", "hasJoined", "submissionCount"] {
            var object = full
            object[key] = nil
            let bytes = JSONValue.object(object).serialized()
            XCTAssertThrowsError(try InternalJSON.decoder().decode(ClientRecord.self, from: Data(bytes)), key)
            XCTAssertThrowsError(try ClientRecord(internalJSON: JSONParser.parse(bytes)), key) { error in
                XCTAssertEqual(error as? JSONFieldError, JSONFieldError(.missing, path: key))
            }
        }
        var noStatus = full
        if case .object(var profile)? = noStatus["profile"] {
            profile["status"] = nil
            noStatus["profile"] = JSONValue.object(profile)
        }
        XCTAssertThrowsError(try ClientRecord(internalJSON: .object(noStatus))) { error in
            XCTAssertEqual(error as? JSONFieldError, JSONFieldError(.missing, path: "profile.status"))
        }
    }

    func testListPagesAndVisibilityRoundTrip() throws {
        var random = Generator(seed: 3)
        for count in [0, 1, 5] {
            let page = ClientListPage(data: (0..<count).map { _ in random.record() }, total: count * 7)
            try assertSameCoding(page, ClientListPage.init(internalJSON:)) { $0.internalJSONBytes }
        }
        for visibility in [ClientVisibility(visible: true, version: 3), ClientVisibility(visible: false, version: nil)] {
            try assertSameCoding(visibility, ClientVisibility.init(internalJSON:)) { $0.internalJSON.serialized() }
        }
    }

    /// The search projection's answer to a batch of lookups reads back record for record,
    /// misses (`null`) in place.
    func testLookupAnswersRoundTripWithMissesInPlace() throws {
        var random = Generator(seed: 5)
        for records in [[], [nil], [random.record(), nil, random.record(), nil], [random.record()]] as [[ClientRecord?]] {
            let bytes = TenantClientId.answerJSON(records)
            XCTAssertEqual(try TenantClientId.records(fromAnswer: JSONParser.parse(bytes)), records)
        }
    }

    // MARK: Commands

    func testCommandRequestsAndResponsesRoundTripLikeTheCodableCoding() throws {
        var random = Generator(seed: 4)
        for _ in 0..<300 {
            try assertSameCoding(random.request(), ClientCommandRequest.init(internalJSON:)) { $0.internalJSON.serialized() }
            let response = ClientCommandResponse(client: random.chance() ? random.record() : nil,
                                                 version: random.int(1...1_000), replayed: random.chance())
            try assertSameCoding(response, ClientCommandResponse.init(internalJSON:)) { $0.internalJSONBytes }
        }
    }

    /// The command service's 400s: every body below gets the same message and field from the
    /// `JSONObjectReader` coding as from `JSONDecoder`.
    func testBadCommandBodiesFailLikeJSONDecoder() async throws {
        let id = "6F9619FF-8B86-D011-B42D-00CF4FC964FF"
        let base = #""clientId":"\#(id)","tenantId":"\#(id.lowercased())","actor":{"kind":"api_key","id":"k1"}"#
        let bodies = [
            #"{"command":"create",\#(base),"profile":{"name":"A","status":"active"}}"#,
            #"{"command":"update",\#(base),"changes":{"name":null,"agents":[{"agentId":1,"agentName":"x"}],"plan":"free"},"expectedVersion":2}"#,
            #"{"command":"delete",\#(base),"idempotency":{"scope":"s","key":"k","requestHash":"h"},"submission":null}"#,
            #"{"command":"explode",\#(base)}"#,
            #"{"command":1,\#(base)}"#,
            #"{\#(base)}"#,
            #"{"command":"create","clientId":"nope","tenantId":"\#(id)","actor":{"kind":"user","id":"u"}}"#,
            #"{"command":"create","clientId":"\#(id)","actor":{"kind":"user","id":"u"}}"#,
            #"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)"}"#,
            #"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":null}"#,
            #"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":"me"}"#,
            #"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":{"kind":"alien","id":"u"}}"#,
            #"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":{"kind":"user"}}"#,
            #"{"command":"create",\#(base),"profile":{"name":"A"}}"#,
            #"{"command":"create",\#(base),"profile":{"name":1,"status":"active"}}"#,
            #"{"command":"create",\#(base),"profile":{"status":"gone"}}"#,
            #"{"command":"create",\#(base),"profile":{"status":"active","agents":[{"agentId":"1","agentName":"x"}]}}"#,
            #"{"command":"create",\#(base),"profile":{"status":"active","agents":[{"agentId":1.5,"agentName":"x"}]}}"#,
            #"{"command":"create",\#(base),"profile":{"status":"active","agents":[{"agentId":1}]}}"#,
            #"{"command":"create",\#(base),"profile":{"status":"active","agents":[null]}}"#,
            #"{"command":"create",\#(base),"profile":{"status":"active","agents":{}}}"#,
            #"{"command":"create",\#(base),"profile":{"status":"active","emailVerified":"yes"}}"#,
            #"{"command":"create",\#(base),"profile":{"status":"active","plan":"gold"}}"#,
            #"{"command":"create",\#(base),"profile":[]}"#,
            #"{"command":"update",\#(base),"changes":{"email":7}}"#,
            #"{"command":"update",\#(base),"changes":{"status":null,"accountType":"tiny"}}"#,
            #"{"command":"update",\#(base),"changes":{"agents":[{"agentId":1,"agentName":null}]}}"#,
            #"{"command":"update",\#(base),"changes":{"twoFactorEnabled":0}}"#,
            #"{"command":"update",\#(base),"changes":"all"}"#,
            #"{"command":"update",\#(base),"expectedVersion":"2"}"#,
            #"{"command":"update",\#(base),"expectedVersion":2.5}"#,
            #"{"command":"delete",\#(base),"idempotency":{"scope":"s","key":"k"}}"#,
            #"{"command":"delete",\#(base),"idempotency":{"scope":"s","key":1,"requestHash":"h"}}"#,
            #"{"command":"setPortalPassword",\#(base),"portalPasswordHash":false}"#,
            #"{"command":"recordActivity",\#(base),"submission":"yes"}"#,
            "[]", "null", "", "{", #"{"command":"delete",\#(base)} trailing"#,
        ]
        for body in bodies {
            let expected = await outcome { try await self.request(body).decodeJSON(ClientCommandRequest.self, maxBytes: 65536,
                                                                                 decoder: InternalJSON.decoder()) }
            let actual = await outcome {
                try await self.request(body).decodeJSON(maxBytes: 65536) { value throws(JSONFieldError) in
                    try ClientCommandRequest(internalJSON: value)
                }
            }
            XCTAssertEqual(actual, expected, body)
        }
    }

    func testBadCommandBodiesNameTheField() async {
        let id = UUID().uuidString
        let body = #"{"command":"create","clientId":"\#(id)","tenantId":"\#(id)","actor":{"kind":"user","id":"u"},"#
            + #""profile":{"status":"active","agents":[{"agentId":"7","agentName":"x"}]}}"#
        let failure = await outcome {
            try await self.request(body).decodeJSON(maxBytes: 65536) { value throws(JSONFieldError) in
                try ClientCommandRequest(internalJSON: value)
            }
        }
        XCTAssertEqual(failure, "invalid_argument Field 'profile.agents[0].agentId' must be an integer field=profile.agents[0].agentId")
    }

    func testCanonicalUUIDsParseAsUUIDStringParsesThem() {
        for _ in 0..<200 {
            let text = UUID().uuidString
            XCTAssertEqual(UUID(canonical: text), UUID(uuidString: text))
            XCTAssertEqual(UUID(canonical: text.lowercased()), UUID(uuidString: text))
        }
        XCTAssertEqual(UUID(canonical: "00000000-0000-0000-0000-000000000000"), UUID(uuidString: "00000000-0000-0000-0000-000000000000"))
        XCTAssertEqual(UUID(canonical: "ffffffff-FFFF-ffff-FFFF-ffffffffffff")?.uuidString, "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")
        for text in ["", "nope", "6F9619FF8B86D011B42D00CF4FC964FF", "6F9619FF-8B86-D011-B42D-00CF4FC964F", "6F9619FF-8B86-D011-B42D-00CF4FC964FFF",
                     "6F9619FF-8B86-D011-B42D_00CF4FC964FF", "6F9619FG-8B86-D011-B42D-00CF4FC964FF", " 6F9619F-8B86-D011-B42D-00CF4FC964FF",
                     "{6F9619FF-8B86-D011-B42D-00CF4FC964}", "6F9619FF-8B86-D011-B42D-00CF4FC964Fé"] {
            XCTAssertNil(UUID(canonical: text), text)
        }
    }

    // MARK: Support

    /// `value` written by `encode` has the bytes `InternalJSON.encoder()` writes, and
    /// `decode` reads them back to `value`, as `InternalJSON.decoder()` does.
    private func assertSameCoding<T: Codable & Equatable>(_ value: T, _ decode: (JSONValue) throws(JSONFieldError) -> T,
                                                          _ encode: (T) -> [UInt8],
                                                          file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = encode(value)
        let encoded = Array(try InternalJSON.encoder().encode(value))
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: encoded, as: UTF8.self), file: file, line: line)
        XCTAssertEqual(try decode(JSONParser.parse(bytes)), value, file: file, line: line)
        XCTAssertEqual(try InternalJSON.decoder().decode(T.self, from: Data(encoded)), value, file: file, line: line)
    }

    private func request(_ body: String) -> HTTPRequest {
        HTTPRequest(method: .POST, target: "/", headers: ["Content-Type": "application/json"],
                    body: HTTPRequestBody(bytes: Array(body.utf8)))
    }

    private func outcome(_ decode: () async throws -> ClientCommandRequest) async -> String {
        do {
            return "ok \(try await decode())"
        } catch let error as ClienteleError {
            return "\(error.code.rawValue) \(error.message) field=\(error.context["field"] ?? "-")"
        } catch {
            return "other \(error)"
        }
    }
}

/// Varied internal API values from a seed (SplitMix64), so a failure reproduces.
private struct Generator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance() -> Bool { next() % 2 == 0 }
    mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
        let span = UInt64(bitPattern: range.upperBound &- range.lowerBound) &+ 1
        return range.lowerBound &+ Int64(bitPattern: span == 0 ? next() : next() % span)
    }
    mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
    mutating func maybe<T>(_ make: (inout Generator) -> T) -> T? { chance() ? make(&self) : nil }

    mutating func text() -> String {
        let pieces = ["Ann", " ", "O'Brien", "\"q\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "Zoë", "€", "🚀", "東京", "\u{2028}", "@"]
        return (0..<Int(next() % 6)).map { _ in pick(pieces) }.joined()
    }

    /// Whole or half seconds: `Timestamp` round-trips those exactly.
    mutating func date() -> Date { Date(timeIntervalSince1970: Double(int(0...2_000_000_000)) + (chance() ? 0.5 : 0)) }

    mutating func uuid() -> UUID { UUID() }

    mutating func agents() -> [AgentAssignment] {
        (0..<Int(next() % 3)).map { _ in AgentAssignment(agentId: int(-5...Int64.max - 1), agentName: text()) }
    }

    mutating func profile() -> ClientProfile {
        ClientProfile(name: maybe { $0.text() }, email: maybe { $0.text() }, phone: maybe { $0.text() }, notes: maybe { $0.text() },
                      status: pick(ClientStatus.allCases), address: maybe { $0.text() }, source: maybe { $0.text() },
                      agents: maybe { $0.agents() }, displayName: maybe { $0.text() }, username: maybe { $0.text() },
                      bio: maybe { $0.text() }, jobTitle: maybe { $0.text() }, companyName: maybe { $0.text() },
                      industry: maybe { $0.text() }, website: maybe { $0.text() }, location: maybe { $0.text() },
                      accountType: maybe { $0.pick(AccountType.allCases) }, plan: maybe { $0.pick(Plan.allCases) },
                      provider: maybe { $0.text() }, emailVerified: maybe { $0.chance() }, twoFactorEnabled: maybe { $0.chance() },
                      avatar: maybe { $0.text() })
    }

    mutating func actor() -> Actor {
        Actor(kind: pick([.user, .apiKey, .system, .client]), id: text())
    }

    mutating func record() -> ClientRecord {
        ClientRecord(id: uuid(), tenantId: uuid(), profile: profile(), version: int(1...Int64.max), createdAt: date(),
                     updatedAt: date(), number: maybe { $0.int(1...1_000_000_000) }, createdBy: maybe { $0.actor() },
                     hasJoined: chance(), lastActiveAt: maybe { $0.date() }, submissionCount: int(0...1_000))
    }

    mutating func change<T: Sendable & Equatable & Codable>(_ make: (inout Generator) -> T) -> FieldChange<T> {
        switch next() % 3 {
        case 0: return .unchanged
        case 1: return .cleared
        default: return .set(make(&self))
        }
    }

    mutating func changes() -> ClientProfileChanges {
        ClientProfileChanges(name: change { $0.text() }, email: change { $0.text() }, phone: change { $0.text() },
                             notes: change { $0.text() }, status: maybe { $0.pick(ClientStatus.allCases) },
                             address: change { $0.text() }, source: change { $0.text() }, agents: change { $0.agents() },
                             displayName: change { $0.text() }, username: change { $0.text() }, bio: change { $0.text() },
                             jobTitle: change { $0.text() }, companyName: change { $0.text() }, industry: change { $0.text() },
                             website: change { $0.text() }, location: change { $0.text() },
                             accountType: change { $0.pick(AccountType.allCases) }, plan: change { $0.pick(Plan.allCases) },
                             provider: change { $0.text() }, emailVerified: change { $0.chance() },
                             twoFactorEnabled: change { $0.chance() }, avatar: change { $0.text() })
    }

    mutating func request() -> ClientCommandRequest {
        ClientCommandRequest(command: pick([.create, .update, .delete, .setPortalPassword, .recordActivity]),
                             clientId: uuid(), tenantId: uuid(), profile: maybe { $0.profile() }, changes: maybe { $0.changes() },
                             expectedVersion: maybe { $0.int(0...Int64.max) }, actor: actor(),
                             idempotency: maybe { IdempotencyToken(scope: $0.text(), key: $0.text(), requestHash: $0.text()) },
                             portalPasswordHash: maybe { $0.text() }, submission: maybe { $0.chance() })
    }
}
