import ClientDomain
import Errors
import EventStore
import Foundation
import XCTest

final class ClientCommandHandlerTests: XCTestCase {
    func testCreateUpdateDeleteAppendVersionedEventsWithTheirEnvelope() async throws {
        let fixture = try await EventStoreFixture.make()
        let created = try await fixture.create(ClientProfile(name: "John Doe", phone: "+1 555-1234"))
        let id = try XCTUnwrap(created.client?.id)
        XCTAssertEqual(created.client?.version, 1)

        let updated = try await fixture.handler.handle(.update(UpdateClient(clientId: id, tenantId: fixture.tenant,
                                                                            changes: ClientProfileChanges(notes: .set("No longer active"), status: .inactive))),
                                                       metadata: fixture.metadata)
        XCTAssertEqual(updated.client?.version, 2)
        XCTAssertEqual(updated.client?.profile.status, .inactive)
        _ = try await fixture.handler.handle(.delete(DeleteClient(clientId: id, tenantId: fixture.tenant)), metadata: fixture.metadata)

        let stream = try await fixture.store.load(streamId: id)
        XCTAssertEqual(stream.map(\.streamVersion), [1, 2, 3])
        XCTAssertEqual(stream.map(\.type), ["client.created", "client.profile_changed", "client.deleted"])
        XCTAssertTrue(stream.allSatisfy { $0.tenantId == fixture.tenant && $0.correlationId == "corr-1" && $0.actor.id == "u1" })
        let folded = try XCTUnwrap(Client.replay(stream))
        XCTAssertTrue(folded.isDeleted)
        XCTAssertEqual(folded.profile, ClientProfile(name: "John Doe", phone: "+1 555-1234", notes: "No longer active", status: .inactive))

        // Every event waits in the outbox, in order.
        let outbox = try await fixture.pool.query("SELECT position FROM outbox ORDER BY position")
        XCTAssertEqual(outbox.count, 3)
    }

    func testAnUpdateThatChangesNothingAppendsNothing() async throws {
        let fixture = try await EventStoreFixture.make()
        let id = try await fixture.createClient(ClientProfile(name: "A")).id
        let outcome = try await fixture.handler.handle(.update(UpdateClient(clientId: id, tenantId: fixture.tenant,
                                                                            changes: ClientProfileChanges(name: .set("A")))),
                                                       metadata: fixture.metadata)
        XCTAssertEqual(outcome.events, [])
        let stream = try await fixture.store.load(streamId: id)
        XCTAssertEqual(stream.count, 1)
    }

    /// Many concurrent PATCHes of one client: every one lands, none is lost.
    func testConcurrentUpdatesLoseNothing() async throws {
        let fixture = try await EventStoreFixture.make(poolSize: 8)
        let id = try await fixture.createClient(ClientProfile(name: "Busy")).id
        let writers = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    _ = try await fixture.handler.handle(.update(UpdateClient(clientId: id, tenantId: fixture.tenant,
                                                                              changes: ClientProfileChanges(notes: .set("writer \(writer)")))),
                                                         metadata: fixture.metadata)
                }
            }
            try await group.waitForAll()
        }
        let stream = try await fixture.store.load(streamId: id)
        XCTAssertEqual(stream.map(\.streamVersion), Array(1...Int64(writers + 1)))
        let notes = Set(try stream.dropFirst().map { envelope -> String in
            guard case .profileChanged(let changed) = try ClientEvent.decode(envelope), case .set(let note) = changed.changes.notes else {
                throw XCTSkip("unexpected event")
            }
            return note
        })
        XCTAssertEqual(notes, Set((0..<writers).map { "writer \($0)" }))
    }

    func testStaleExpectedVersionFailsAndWritesNothing() async throws {
        let fixture = try await EventStoreFixture.make()
        let id = try await fixture.createClient(ClientProfile(name: "A")).id
        _ = try await fixture.handler.handle(.update(UpdateClient(clientId: id, tenantId: fixture.tenant, changes: ClientProfileChanges(name: .set("B")),
                                                                  expectedVersion: 1)), metadata: fixture.metadata)
        do {
            _ = try await fixture.handler.handle(.update(UpdateClient(clientId: id, tenantId: fixture.tenant, changes: ClientProfileChanges(name: .set("C")),
                                                                      expectedVersion: 1)), metadata: fixture.metadata)
            XCTFail("expected a precondition failure")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .preconditionFailed)
        }
        let stream = try await fixture.store.load(streamId: id)
        XCTAssertEqual(stream.count, 2)
    }

    func testEmailsAreUniquePerTenantEvenUnderRaces() async throws {
        let fixture = try await EventStoreFixture.make()
        let results = await withTaskGroup(of: Bool.self) { group -> [Bool] in
            for index in 0..<10 {
                group.addTask {
                    (try? await fixture.create(ClientProfile(name: "R\(index)", email: "Same@Example.com"))) != nil
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.filter { $0 }.count, 1)
        let holders = try await fixture.pool.query("SELECT count(*) FROM unique_claims WHERE kind = 'email'")
        XCTAssertEqual(try holders[0].decode(0, as: Int.self), 1)

        // Deleting the holder frees the email; changing it frees the old one.
        let other = try await fixture.createClient(ClientProfile(name: "O", email: "o@example.com"))
        _ = try await fixture.handler.handle(.update(UpdateClient(clientId: other.id, tenantId: fixture.tenant,
                                                                  changes: ClientProfileChanges(email: .set("new@example.com")))),
                                             metadata: fixture.metadata)
        _ = try await fixture.createClient(ClientProfile(name: "P", email: "o@example.com"))
        do {
            _ = try await fixture.create(ClientProfile(name: "Q", email: "NEW@example.com"))
            XCTFail("expected a conflict")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .conflict)
            XCTAssertEqual(error.context["field"], "email")
        }
    }
}
