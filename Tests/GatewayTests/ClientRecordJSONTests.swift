import ClientDomain
import Foundation
import HTTP
import InternalAPI
import XCTest

/// `ClientRecord.internalJSONBytes`, which the search projection answers with, against the
/// `JSONEncoder` coding it replaces.
final class ClientRecordJSONTests: XCTestCase {
    func testSameBytesAsInternalJSONEncoder() throws {
        let date = Date(timeIntervalSince1970: 1_763_900_000.123)
        let full = ClientRecord(id: UUID(), tenantId: UUID(),
                                profile: ClientProfile(name: #"Ann "Q" O\Brien / Ünïcode 🚀"#, email: "a@b.example",
                                                       phone: "+1 555\n0100", notes: "tab\there", status: .trial,
                                                       address: "Dubai, UAE", source: "referral",
                                                       agents: [AgentAssignment(agentId: 42, agentName: "Ahmed Ali"),
                                                                AgentAssignment(agentId: 7, agentName: "Zoë")],
                                                       displayName: "Ann", username: "ann.q", bio: "b", jobTitle: "CTO",
                                                       companyName: "Tech Corp", industry: "Tech", website: "https://a.example",
                                                       location: "Austin, United States", accountType: .business, plan: .premium,
                                                       provider: "google", emailVerified: true, twoFactorEnabled: false,
                                                       avatar: "https://a.example/a.png"),
                                version: 42, createdAt: date, updatedAt: date.addingTimeInterval(61.5), number: 123,
                                createdBy: Actor(kind: .user, id: UUID().uuidString.lowercased()), hasJoined: true,
                                lastActiveAt: date.addingTimeInterval(3600), submissionCount: 12)
        let sparse = ClientRecord(id: UUID(), tenantId: UUID(), profile: ClientProfile(name: "B"), version: 1,
                                  createdAt: date, updatedAt: date)
        for record in [full, sparse] {
            let expected = Array(try InternalJSON.encoder().encode(record))
            XCTAssertEqual(String(decoding: record.internalJSONBytes, as: UTF8.self),
                           String(decoding: expected, as: UTF8.self))
        }
    }

    func testDecodesBackToTheSameRecordWithControlCharacters() throws {
        let record = ClientRecord(id: UUID(), tenantId: UUID(),
                                  profile: ClientProfile(name: "x\u{01}\u{08}\u{0C}\u{1F}y", notes: "\r\n", status: .inactive),
                                  version: 7, createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 1.5))
        let decoded = try InternalJSON.decoder().decode(ClientRecord.self, from: Data(record.internalJSONBytes))
        XCTAssertEqual(decoded, record)
    }
}
