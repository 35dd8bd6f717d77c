import ClientDomain
import Errors
import Foundation
import JSON
import XCTest

/// Goals, tasks, medications and appointments decided against the folded client: defaults,
/// the records a change needs, no event for no change, the rules between fields, the limits,
/// and an appointment's carer slots (overlapping appointments share one, touching ones none).
final class CareRecordDeciderTests: XCTestCase {
    let tenant = UUID()
    let decider = ClientDecider()
    let start = Date(timeIntervalSince1970: 1_700_000_000)
    let carer = UUID().lowercasedString

    func client() -> Client {
        Client(id: UUID(), tenantId: tenant, profile: ClientProfile(name: "Jane"), version: 1, createdAt: start, updatedAt: start,
               isDeleted: false)
    }

    /// Decides `change` on `current` and applies what it gives.
    @discardableResult
    func run(_ current: inout Client, _ kind: CareRecordKind, _ change: ClientCareRecordChanged.Change, id: UUID,
             goalId: UUID? = nil, _ fields: [String: JSONValue]) async throws -> [ClientEvent] {
        let command = ChangeCareRecord(clientId: current.id, tenantId: tenant, kind: kind, change: change, id: id, goalId: goalId,
                                       fields: fields)
        let events = try await decider.decide(.changeCareRecord(command), current: current, lookup: FixedLookup())
        for event in events { current.apply(event, at: start) }
        return events
    }

    func code(_ work: () async throws -> Void) async -> ClienteleError.Code? {
        do {
            try await work()
            return nil
        } catch let error as ClienteleError {
            return error.code
        } catch {
            return .internal
        }
    }

    func testGoalsAndTasksTakeDefaultsNeedTheirRecordsAndNoChangeIsNoEvent() async throws {
        var current = client()
        let goal = UUID()
        let added = try await run(&current, .goal, .added, id: goal, ["title": "Walk further"])
        XCTAssertEqual(added.first?.type, "client.goal_added")
        XCTAssertEqual(current.careRecords.goals[goal]?.fields["status"], "not_started")
        let same = try await run(&current, .goal, .changed, id: goal, ["title": "Walk further"])
        XCTAssertEqual(same, [], "a change that changes nothing appends nothing")
        var copy = current
        let missingGoal = await code { try await self.run(&copy, .goal, .changed, id: UUID(), ["title": "x"]) }
        XCTAssertEqual(missingGoal, .notFound)
        let taskOfNoGoal = await code { try await self.run(&copy, .goalTask, .added, id: UUID(), goalId: UUID(), ["title": "x"]) }
        XCTAssertEqual(taskOfNoGoal, .notFound)
        let task = UUID()
        try await run(&current, .goalTask, .added, id: task, goalId: goal, ["title": "Stairs"])
        XCTAssertEqual(current.careRecords.tasks[goal]?[task]?.fields["done"], false)
        let cleared = await code { try await self.run(&copy, .goal, .changed, id: goal, ["title": .null]) }
        XCTAssertEqual(cleared, .invalidArgument, "a required field cannot be cleared")
        let badStatus = await code { try await self.run(&copy, .goal, .changed, id: goal, ["status": "done"]) }
        XCTAssertEqual(badStatus, .invalidArgument)
        let again = await code { try await self.run(&copy, .goal, .added, id: goal, ["title": "x"]) }
        XCTAssertEqual(again, .conflict, "an id the client has already")
    }

    func testAMedicationsReviewDateIsNotBeforeItsStartAndGoalsAreLimited() async throws {
        var current = client()
        let medication = UUID()
        try await run(&current, .medication, .added, id: medication, ["medicineName": "A", "dose": "1", "frequency": "Daily",
                                                                      "startDate": "2026-01-01", "reviewDate": "2026-06-01"])
        var copy = current
        let moved = await code { try await self.run(&copy, .medication, .changed, id: medication, ["startDate": "2026-07-01"]) }
        XCTAssertEqual(moved, .invalidArgument)
        try await run(&current, .medication, .changed, id: medication, ["status": "stopped", "stopDate": "2026-02-01"])
        XCTAssertEqual(current.careRecords.medications[medication]?.fields["dose"], "1", "a stop keeps the medication")
        for _ in 0..<CareRecordKind.goal.maxCount { try await run(&current, .goal, .added, id: UUID(), ["title": "g"]) }
        let beyond = await code { try await self.run(&current, .goal, .added, id: UUID(), ["title": "g"]) }
        XCTAssertEqual(beyond, .conflict)
    }

    func appointment(_ from: String, _ to: String, status: String = "scheduled") -> [String: JSONValue] {
        ["healthCarerId": .string(carer), "startsAt": .string(from), "endsAt": .string(to), "serviceType": "Support", "status": .string(status)]
    }

    func testAppointmentsOfOneCarerOverlapOnlyWhenTheyShareASlot() async throws {
        var current = client()
        let first = UUID()
        try await run(&current, .appointment, .added, id: first, appointment("2026-01-14T22:00:00.000Z", "2026-01-14T23:00:00.000Z"))
        XCTAssertEqual(CareRecordSchema.carerSlots(of: try XCTUnwrap(current.careRecords.appointments[first])).count, 12)
        var copy = current
        let overlapping = await code {
            try await self.run(&copy, .appointment, .added, id: UUID(), self.appointment("2026-01-14T22:55:00.000Z", "2026-01-15T00:00:00.000Z"))
        }
        XCTAssertEqual(overlapping, .conflict)
        try await run(&current, .appointment, .added, id: UUID(), appointment("2026-01-14T23:00:00.000Z", "2026-01-15T00:00:00.000Z"))
        try await run(&current, .appointment, .changed, id: first, ["status": "cancelled"])
        XCTAssertEqual(CareRecordSchema.carerSlots(of: try XCTUnwrap(current.careRecords.appointments[first])), [], "cancelled frees the time")
        try await run(&current, .appointment, .added, id: UUID(), appointment("2026-01-14T22:00:00.000Z", "2026-01-14T23:00:00.000Z"))
        for (from, to) in [("2026-01-14T22:03:00.000Z", "2026-01-14T23:00:00.000Z"), ("2026-01-14T22:00:00Z", "2026-01-14T23:00:00.000Z"),
                           ("2026-01-14T23:00:00.000Z", "2026-01-14T22:00:00.000Z"), ("2026-01-14T00:00:00.000Z", "2026-01-14T12:05:00.000Z")] {
            let refused = await code { try await self.run(&copy, .appointment, .added, id: UUID(), self.appointment(from, to)) }
            XCTAssertEqual(refused, .invalidArgument, "\(from) to \(to): off a five-minute mark, not canonical, backwards or over 12 hours")
        }
    }
}
