import ClientDomain
import Errors
import EventStore
import Foundation
import Postgres
import TestSupport
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
                throw TestSupportError("expected a profile change setting the notes, got \(envelope.type)")
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

    /// A create of an id that exists is refused as before (it is first tried without reading
    /// the stream) and writes nothing, whatever else is wrong with it.
    func testASecondCreateOfOneIdConflictsAndWritesNothing() async throws {
        let fixture = try await EventStoreFixture.make()
        let id = UUID()
        _ = try await fixture.create(ClientProfile(name: "First", email: "first@example.com"), id: id)
        _ = try await fixture.createClient(ClientProfile(name: "Other", email: "other@example.com"))
        for profile in [ClientProfile(name: "Second"), ClientProfile(name: "Second", email: "other@example.com"),
                        ClientProfile(name: "")] {
            do {
                _ = try await fixture.create(profile, id: id)
                XCTFail("expected a conflict")
            } catch let error as ClienteleError {
                XCTAssertEqual(error.code, .conflict)
                XCTAssertEqual(error.message, "A client with this id already exists")
                XCTAssertEqual(error.context["field"], "id")
            }
        }
        let stream = try await fixture.store.load(streamId: id)
        XCTAssertEqual(stream.map(\.streamVersion), [1])
        let outbox = try await fixture.pool.query("SELECT count(*) FROM outbox")
        XCTAssertEqual(try outbox[0].decode(0, as: Int.self), 2)

        // Racing creates of one id: exactly one lands.
        let raced = UUID()
        let results = await withTaskGroup(of: Bool.self) { group -> [Bool] in
            for index in 0..<8 {
                group.addTask { (try? await fixture.create(ClientProfile(name: "R\(index)"), id: raced)) != nil }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.filter { $0 }.count, 1)
        let racedStream = try await fixture.store.load(streamId: raced)
        XCTAssertEqual(racedStream.count, 1)
    }

    /// A create's number is drawn in the append: the stored event, the outcome and the client
    /// carry the same number, increasing from create to create, and a create that fails
    /// stores no event with its number.
    func testNumbersAreDrawnWithTheAppendAndCommitWithTheEvents() async throws {
        let fixture = try await EventStoreFixture.make()
        try await fixture.pool.execute("CREATE SEQUENCE test_numbers")
        var handler = fixture.handler
        handler.numbers = SequenceNumbers()
        func create(_ profile: ClientProfile, id: UUID = UUID(),
                    alongside: (@Sendable (Client) throws -> AppendBatcher.Alongside)? = nil) async throws -> CommandOutcome {
            try await handler.handle(.create(CreateClient(clientId: id, tenantId: fixture.tenant, profile: profile)),
                                     metadata: fixture.metadata, alongside: alongside)
        }
        let first = try await create(ClientProfile(name: "A"))
        let second = try await create(ClientProfile(name: "B", email: "b@example.com"))
        XCTAssertEqual(first.client?.number, 1)
        XCTAssertEqual(second.client?.number, 2)
        for outcome in [first, second] {
            let stored = try await fixture.store.load(streamId: try XCTUnwrap(outcome.client?.id))
            guard case .created(let created) = try ClientEvent.decode(try XCTUnwrap(stored.first)) else { return XCTFail("not a create") }
            XCTAssertEqual(created.number, outcome.client?.number)
            XCTAssertEqual(stored.map(\.eventId), outcome.events.map(\.envelope.eventId))
        }

        // Failing alongside (making what goes beside the events, or a statement run in the
        // append's transaction): neither the event nor its outbox entry stays.
        struct Refused: Error {}
        let refusedId = UUID()
        do {
            _ = try await create(ClientProfile(name: "C"), id: refusedId) { _ in throw Refused() }
            XCTFail("expected the error of alongside")
        } catch is Refused {}
        let failingId = UUID()
        do {
            _ = try await create(ClientProfile(name: "C", email: "c@example.com"), id: failingId) { _ in
                AppendBatcher.Alongside(statements: [PostgresStatement("INSERT INTO no_such_table VALUES (1)")])
            }
            XCTFail("expected the error of the statement alongside")
        } catch let error as PostgresError {
            XCTAssertEqual(error.sqlState, "42P01")
        }
        for id in [refusedId, failingId] {
            let refused = try await fixture.store.load(streamId: id)
            XCTAssertEqual(refused, [])
        }
        let outbox = try await fixture.pool.query("SELECT count(*) FROM outbox")
        XCTAssertEqual(try outbox[0].decode(0, as: Int.self), 2)
        let claimed = try await fixture.store.claimHolder(kind: "email", value: "c@example.com", tenantId: fixture.tenant)
        XCTAssertNil(claimed, "the failed create's claim was rolled back with its event")

        // A create carrying its own number keeps it; the next drawn one is still higher.
        let given = try await handler.handle(.create(CreateClient(clientId: UUID(), tenantId: fixture.tenant,
                                                                  profile: ClientProfile(name: "D"), number: 99)),
                                             metadata: fixture.metadata)
        XCTAssertEqual(given.client?.number, 99)
        let next = try await create(ClientProfile(name: "E"))
        XCTAssertGreaterThan(try XCTUnwrap(next.client?.number), 2)
    }
}

/// Numbers from the test database's `test_numbers` sequence.
private struct SequenceNumbers: ClientNumberSource {
    func next(on connection: PostgresConnection) throws -> Int64 {
        try connection.query("SELECT nextval('test_numbers')")[0].decode(0, as: Int64.self)
    }
}
