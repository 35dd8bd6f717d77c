import ClientDomain
import Foundation
import InternalAPI
import Synchronization
import XCTest

/// The erasure steps after the append (`ClientErasureSteps`), without sockets: what each
/// service's answer makes of each step, and that a step done is never done again.
final class ClientErasureStepsTests: XCTestCase {
    struct Failure: Error {}

    /// A command service's receipt in memory, and what the steps called.
    final class World: Sendable {
        let receipt: Mutex<ClientErasure>
        let documentCalls = Mutex(0)
        let failures = Mutex<[ClientErasure.Step]>([])

        init() {
            let time = Date(timeIntervalSince1970: 1_767_000_000)
            receipt = Mutex(ClientErasure(clientId: UUID(), tenantId: UUID(), number: 7, erasedAt: time, erasedVersion: 5,
                                          by: Actor(kind: .user, id: "u"), steps: ClientErasure.Step.allCases.map {
                                              ClientErasure.StepState(step: $0, state: $0 == .log ? .done : .pending, at: $0 == .log ? time : nil)
                                          }))
        }

        func steps(search: Bool, stats: Bool, documentsFail: Bool, crm: Bool?) -> ClientErasureSteps {
            ClientErasureSteps(
                searchShows: { _, version in version == 5 && search },
                statsShows: { _, version in version == 5 && stats },
                eraseDocuments: { _ in
                    self.documentCalls.withLock { $0 += 1 }
                    if documentsFail { throw Failure() }
                },
                crmSyncEnabled: { _ in crm },
                mark: { _, step, state in
                    self.receipt.withLock { receipt in
                        if let index = receipt.steps.firstIndex(where: { $0.step == step }), receipt.steps[index].state == .pending {
                            receipt.steps[index] = ClientErasure.StepState(step: step, state: state, at: Date())
                        }
                        return receipt
                    }
                },
                reread: { _ in self.receipt.withLock { $0 } },
                failed: { step, _ in self.failures.withLock { $0.append(step) } })
        }

        var current: ClientErasure { receipt.withLock { $0 } }
    }

    func states(_ erasure: ClientErasure) -> [String: String] {
        Dictionary(uniqueKeysWithValues: erasure.steps.map { ($0.step.rawValue, $0.state.rawValue) })
    }

    func testEveryStepTheServicesAnswerForIsMarkedAndTheKeyWaitsForItsShred() async throws {
        let world = World()
        let after = try await world.steps(search: true, stats: true, documentsFail: false, crm: false).resume(world.current)
        XCTAssertEqual(states(after), ["key": "pending", "log": "done", "search": "done", "stats": "done", "documents": "done",
                                       "crm": "not_applicable"])
        XCTAssertFalse(after.isComplete, "the key step is pending")
        XCTAssertTrue(after.steps.allSatisfy { ($0.state == .pending) == ($0.at == nil) }, "a marked step has its time")
    }

    func testWhatDidNotHappenStaysPendingAndAResumeFinishesIt() async throws {
        let world = World()
        let first = try await world.steps(search: false, stats: true, documentsFail: true, crm: nil).resume(world.current)
        XCTAssertEqual(states(first), ["key": "pending", "log": "done", "search": "pending", "stats": "done", "documents": "pending",
                                       "crm": "pending"])
        XCTAssertEqual(world.failures.withLock { $0 }, [.documents])
        let enabled = try await world.steps(search: true, stats: true, documentsFail: false, crm: true).resume(first)
        XCTAssertEqual(states(enabled), ["key": "pending", "log": "done", "search": "done", "stats": "done", "documents": "done",
                                         "crm": "pending"], "a company that syncs: crm-sync marks the step")
        XCTAssertEqual(world.documentCalls.withLock { $0 }, 2)
        _ = try await world.steps(search: true, stats: true, documentsFail: true, crm: true).resume(enabled)
        XCTAssertEqual(world.documentCalls.withLock { $0 }, 2, "a step done is not done again")
        XCTAssertEqual(world.failures.withLock { $0 }, [.documents])
    }
}
