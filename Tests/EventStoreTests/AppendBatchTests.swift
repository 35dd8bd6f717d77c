import ClientDomain
@testable import EventStore
import Foundation
import XCTest

/// How a batch of appends is split into rounds, without a database: members touching one
/// claim value or idempotency key never share a round, and keep their arrival order.
final class AppendBatchTests: XCTestCase {
    private let tenant = UUID()

    func testMembersTouchingNothingInCommonShareTheFirstRound() {
        let batch = batch([.plain, .claims(["a"]), .record("k"), .claims(["b"], releasing: ["c"]), .plain])
        XCTAssertEqual(batch.rounds(), [[0, 1, 2, 3, 4]])
        XCTAssertFalse(batch.isPlain)
        XCTAssertTrue(self.batch([.plain, .plain]).isPlain)
    }

    /// A member goes in the round after the last one holding a value it touches, even when
    /// an earlier round would have room: members touching one value keep their order.
    func testMembersTouchingOneValueAreWrittenInArrivalOrder() {
        let batch = batch([.claims(["x"]), .claims(["x", "y"]), .claims(["y"]), .plain, .claims([], releasing: ["x"]),
                           .record("k"), .record("k"), .claims(["z"])])
        XCTAssertEqual(batch.rounds(), [[0, 3, 5, 7], [1, 6], [2, 4]])
    }

    /// A claim taken and released by the same member is kept, not moved; one released by one
    /// member and taken by another puts them in separate rounds, the releaser first.
    func testAClaimBothTakenAndReleasedStaysAndAReleasedOneIsTakenAfter() throws {
        let batch = batch([.claims(["a", "b"], releasing: ["b", "c"]), .claims(["c"])])
        let member = try batch.made[0].get()
        XCTAssertEqual(member.claiming, [UniqueClaim(kind: "email", value: "a")])
        XCTAssertEqual(member.releasing, [UniqueClaim(kind: "email", value: "c")])
        XCTAssertEqual(batch.rounds(), [[0], [1]])
    }

    /// A request whose writes cannot be made is answered with its error and written in no round.
    func testAMemberThatCannotBeMadeIsInNoRound() {
        struct Refused: Error {}
        var requests = [request(.claims(["a"]))]
        requests.append(AppendBatcher.Request(streamId: UUID(), numbers: nil) { _ in throw Refused() })
        requests.append(request(.claims(["a"])))
        let batch = AppendBatch(requests, numbers: [nil, nil, nil])
        XCTAssertThrowsError(try batch.made[1].get()) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(batch.rounds(), [[0], [2]])
    }

    // MARK: Support

    private enum Shape {
        case plain
        case claims(Set<String>, releasing: Set<String> = [])
        case record(String)
    }

    private func batch(_ shapes: [Shape]) -> AppendBatch {
        AppendBatch(shapes.map(request), numbers: shapes.map { _ in nil })
    }

    private func request(_ shape: Shape) -> AppendBatcher.Request {
        let streamId = UUID()
        let event = EventEnvelope(type: "TestEvent", schemaVersion: 1, streamId: streamId, streamVersion: 1, tenantId: tenant,
                                  occurredAt: Date(), actor: Actor(kind: .user, id: "u1"), correlationId: "c", causationId: nil,
                                  data: Data("{}".utf8))
        let writes: AppendBatcher.Writes
        switch shape {
        case .plain:
            writes = AppendBatcher.Writes(events: [event])
        case .claims(let claiming, let releasing):
            writes = AppendBatcher.Writes(events: [event], claiming: Set(claiming.map { UniqueClaim(kind: "email", value: $0) }),
                                          releasing: Set(releasing.map { UniqueClaim(kind: "email", value: $0) }))
        case .record(let key):
            writes = AppendBatcher.Writes(events: [event], alongside: AppendBatcher.Alongside(
                idempotency: IdempotencyRecord(scope: "s", key: key, requestHash: "h", response: "{}")))
        }
        return AppendBatcher.Request(streamId: streamId, numbers: nil) { _ in writes }
    }
}
