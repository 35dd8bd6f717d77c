import ClientDomain
import Errors
import Foundation
import XCTest

/// The field limits against what the read models can store: whatever the limits accept fits
/// every B-tree index and holds no U+0000, and the backstop refuses what would not; and an
/// update is held to the limits for what it sets.
final class ClientFieldLimitsTests: XCTestCase {
    let limits = ClientFieldLimits()

    /// `limit`'s largest text: all its characters, 4 bytes each (astral), so all its bytes too.
    private func largest(_ limit: TextLimit) -> String { String(repeating: "\u{1D400}", count: limit.maxCharacters) }

    /// A profile with every text field at its largest, which the limits accept.
    private func largestProfile() -> ClientProfile {
        ClientProfile(
            name: largest(limits.name), email: String(repeating: "e", count: 240) + "@example.com",
            phone: largest(limits.phone), notes: largest(limits.notes), address: largest(limits.address),
            source: largest(limits.source),
            agents: (1...Int64(limits.maxAgents)).map { AgentAssignment(agentId: $0, agentName: largest(limits.agentName)) },
            displayName: largest(limits.displayName), username: String(repeating: "u", count: limits.usernameLengths.upperBound),
            bio: largest(limits.bio), jobTitle: largest(limits.jobTitle), companyName: largest(limits.companyName),
            industry: largest(limits.industry), website: largest(limits.website), location: largest(limits.location),
            provider: largest(limits.provider), avatar: largest(limits.avatar))
    }

    func testTheLargestAcceptedProfileFitsEveryIndex() throws {
        let profile = largestProfile()
        XCTAssertNoThrow(try limits.validate(profile))
        XCTAssertNoThrow(try ReadModelLimits.check(profile))
        for (field, value) in ReadModelLimits.indexedValues(of: profile) {
            XCTAssertLessThanOrEqual(value.utf8.count, ReadModelLimits.maxIndexedValueBytes, field)
        }
    }

    func testEveryIndexedFieldsByteLimitIsUnderTheIndexBound() {
        let indexed: [(String, TextLimit)] = [
            ("name", limits.name), ("email", limits.email), ("phone", limits.phone), ("displayName", limits.displayName),
            ("companyName", limits.companyName), ("industry", limits.industry), ("location", limits.location),
            ("provider", limits.provider),
        ]
        XCTAssertEqual(Set(indexed.map(\.0)).union(["username"]), Set(ReadModelLimits.indexedValues(of: largestProfile()).map(\.field)))
        for (field, limit) in indexed {
            XCTAssertLessThanOrEqual(limit.maxBytes, ReadModelLimits.maxIndexedValueBytes, field)
        }
        // Half of PostgreSQL's 2,704-byte entry: room for the key's other columns and lower().
        XCTAssertLessThanOrEqual(2 * ReadModelLimits.maxIndexedValueBytes + 100, 2_704)
    }

    func testTheBackstopRefusesNULAndOversizedIndexedValues() {
        func field(_ profile: ClientProfile) -> String? {
            do {
                try ReadModelLimits.check(profile)
                return nil
            } catch let error as ClienteleError {
                XCTAssertEqual(error.code, .invalidArgument)
                return error.context["field"]
            } catch {
                return "unexpected \(error)"
            }
        }
        XCTAssertEqual(field(ClientProfile(name: "a", notes: "x\u{0}")), "notes")
        XCTAssertEqual(field(ClientProfile(name: "a", agents: [AgentAssignment(agentId: 1, agentName: "\u{0}")])), "agents")
        let huge = "a" + String(repeating: "\u{1DC0}", count: 500)
        XCTAssertEqual(field(ClientProfile(name: huge)), "name")
        XCTAssertEqual(field(ClientProfile(name: "a", location: "Sydney, " + huge)), "location")
        XCTAssertEqual(field(ClientProfile(name: "a", companyName: huge)), "companyName")
        XCTAssertNil(field(ClientProfile(name: "a", notes: huge)))
    }

    func testTheDeciderRefusesWhatNoIndexCanHoldWhicheverFaceSentIt() async {
        let marked = "a" + String(repeating: "\u{301}", count: 3_000)
        let cases: [(ClientProfile, String)] = [
            (ClientProfile(name: marked), "name"),
            (ClientProfile(name: "a", companyName: marked), "companyName"),
            (ClientProfile(name: "a", industry: marked), "industry"),
            (ClientProfile(name: "a", location: marked), "location"),
            (ClientProfile(name: "a", notes: "\u{0}"), "notes"),
            (ClientProfile(name: "a", phone: "\u{85}"), "phone"),
            (ClientProfile(name: "a", bio: "\u{FFFF}"), "bio"),
            (ClientProfile(name: "a", email: "a\u{9B}@example.com"), "email"),
            (ClientProfile(name: "a", agents: [AgentAssignment(agentId: 1, agentName: marked)]), "agents"),
        ]
        for (profile, expected) in cases {
            do {
                _ = try await ClientDecider().decide(.create(CreateClient(clientId: UUID(), tenantId: UUID(), profile: profile)),
                                                     current: nil, lookup: FixedLookup())
                XCTFail("expected \(expected) to be refused")
            } catch let error as ClienteleError {
                XCTAssertEqual(error.code, .invalidArgument, expected)
                XCTAssertEqual(error.context["field"], expected)
                XCTAssertTrue(error.message.hasPrefix(expected == "agents" ? "agents agentName" : expected), error.message)
            } catch {
                XCTFail("unexpected \(error)")
            }
        }
    }

    func testAnUpdateIsHeldToTheLimitsForWhatItSets() async throws {
        // A client stored under older rules, with a C1 control character in its name.
        let stored = Client(id: UUID(), tenantId: UUID(), profile: ClientProfile(name: "Old\u{85}Name", phone: "1"), version: 1,
                            createdAt: Date(), updatedAt: Date(), isDeleted: false)
        let decider = ClientDecider()
        func update(_ changes: ClientProfileChanges) async throws -> [ClientEvent] {
            try await decider.decide(.update(UpdateClient(clientId: stored.id, tenantId: stored.tenantId, changes: changes)),
                                     current: stored, lookup: FixedLookup())
        }
        let events = try await update(ClientProfileChanges(phone: .set("2")))
        XCTAssertEqual(events.count, 1)
        do {
            _ = try await update(ClientProfileChanges(name: .set("New\u{85}Name")))
            XCTFail("a new name with a control character was accepted")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.context["field"], "name")
        }
        // A canonically equivalent value in more bytes is a new value to the limits.
        // 200 Hangul syllables: 600 bytes precomposed, 1,200 as conjoining jamo.
        let precomposed = String(repeating: "\u{AC00}", count: 200)
        XCTAssertNil(limits.name.problem(precomposed))
        let decomposed = String(repeating: "\u{1100}\u{1161}", count: 200)
        XCTAssertEqual(decomposed, precomposed)
        XCTAssertThrowsError(try limits.validate(ClientProfile(name: decomposed), previous: ClientProfile(name: precomposed)))
        XCTAssertNoThrow(try limits.validate(ClientProfile(name: precomposed), previous: ClientProfile(name: precomposed)))
    }
}
