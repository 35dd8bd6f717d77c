import Foundation
import HTTP
import TestSupport
import XCTest

/// The property: random valid bodies round-trip. Each `RandomWorkspaceClient` body is
/// created (201, answering the client normalised: emails lower-cased, phones in E.164, custom
/// fields by key and typed) and read back by id equal to the create's answer, byte for byte
/// (`jsonText`, so strings compare code point for code point).
///
/// The seed is printed; `WORKSPACE_PROPERTY_SEED=<seed>` replays a run.
final class WorkspaceRoundTripPropertyTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    static let rounds = 60

    func testRandomValidBodiesReadBackAsSentNormalised() async throws {
        let seed = ProcessInfo.processInfo.environment["WORKSPACE_PROPERTY_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: 0...UInt64.max)
        print("workspace round-trip property test seed: \(seed) (WORKSPACE_PROPERTY_SEED=\(seed) replays it)")
        let world = try await WorkspaceWorld.make(http: http)
        for definition in RandomWorkspaceClient.definitions {
            let reply = try await world.call(.POST, world.customFields, json: definition)
            XCTAssertEqual(reply.status, 201, reply.excerpt)
        }
        var rng = SplitMix64(state: seed)
        var created = 0
        for round in 0..<Self.rounds {
            let random = RandomWorkspaceClient.random(tag: round, using: &rng)
            let context = "seed \(seed), round \(round), body \(excerptOf(jsonText(random.body), 2_000))"
            let reply = try await world.call(.POST, world.clients, json: random.body)
            XCTAssertEqual(reply.status, 201, "\(context): \(reply.excerpt)")
            guard reply.status == 201, let client = reply.json["client"], let id = client.string("id") else { continue }
            created += 1
            for (key, value) in random.expected.sorted(by: { $0.key < $1.key }) {
                XCTAssertEqual(jsonText(client[key]), jsonText(value), "\(key), \(context)")
            }
            let read = try await world.call(.GET, "\(world.clients)/\(id)")
            XCTAssertEqual(read.status, 200, "\(context): \(read.excerpt)")
            XCTAssertEqual(jsonText(read.json["client"]), jsonText(client), "the get answers what the create did, \(context)")
        }
        XCTAssertEqual(created, Self.rounds, "seed \(seed)")
    }
}
