import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import JSON
import ServiceRuntime

/// The care API's goals: a client's goals (`care.read`), create and change them and their
/// tasks (`care.write`), each change kept in the goal's history.
///
/// A goal is `{id, title, description, status, targetDate, tasks: [{id, title, done}],
/// history: [{at, by, change, fields, taskId?}], createdAt, updatedAt}`; `status` is
/// not_started (the default), in_progress, achieved or discontinued. Reads and write answers
/// leave a record in the care access audit (sections `["goals"]`).
struct CareGoalsAPI: Sendable {
    let clients: CareClientsAPI

    static let listPath = "/api/goal/client/:clientId"
    static let createPath = "/api/goal/create"
    static let updatePath = "/api/goal/:id"
    static let tasksPath = "/api/goal/:id/tasks"
    static let taskPath = "/api/goal/:id/tasks/:taskId"
    static let goalFields = ["title", "description", "targetDate", "status"]
    static let taskFields = ["title", "done"]
    static let sections = ["goals"]
    static let notFound = ClienteleError(.notFound, "Goal not found")
    static let taskNotFound = ClienteleError(.notFound, "Task not found")

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: CareRecordInput.maxBodyBytes)
        setup.route(.GET, Self.listPath, clients.rendering(list))
        setup.route(.POST, Self.createPath, options: options, clients.rendering(create))
        setup.route(.PUT, Self.updatePath, options: options, clients.rendering(update))
        setup.route(.POST, Self.tasksPath, options: options, clients.rendering(addTask))
        setup.route(.PUT, Self.taskPath, options: options, clients.rendering(updateTask))
    }

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await clients.caller(request, needs: Permission.careRead)
        let record = try await clients.client(request.pathParameters["clientId"], request, staff, access, needs: Permission.careRead)
        try await clients.audit.record(staff, route: CareClientsAPI.route(request), clients: [record], sections: Self.sections,
                                       outcome: .allowed)
        return CareClientView.ok(.array(Self.goals(record).map(Self.goal)))
    }

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await clients.caller(request, needs: Permission.careWrite)
        let (bytes, body) = try await CareRecordInput.body(request)
        var issues: [CareIssue] = []
        let clientId = CareRecordInput.clientId(body, issues: &issues)
        let fields = CareRecordInput.fields(body, .goal, accepted: Self.goalFields, extra: ["clientId"], required: ["title"],
                                            issues: &issues)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(clientId, request, staff, access, needs: Permission.careWrite)
        let id = UUID()
        let outcome = try await clients.send(CareRecordChange(kind: .goal, change: .added, id: id, fields: fields),
                                             for: record, staff, request, body: bytes)
        // A replay (a repeated `Idempotency-Key`) answers the goal the first request added.
        return try await answer(request, staff, record, outcome, goalId: outcome.careRecord?.id ?? id, status: .created,
                                message: "Goal created successfully")
    }

    func update(_ request: HTTPRequest) async throws -> HTTPResponse {
        let (staff, access) = try await clients.caller(request, needs: Permission.careWrite)
        let id = try CareRecordInput.id(request, "id", notFound: Self.notFound)
        let (bytes, body) = try await CareRecordInput.body(request)
        var issues: [CareIssue] = []
        let fields = CareRecordInput.fields(body, .goal, accepted: Self.goalFields, issues: &issues)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(holding: id, appointment: false, notFound: Self.notFound, request, staff, access,
                                              needs: Permission.careWrite)
        let outcome = try await clients.send(CareRecordChange(kind: .goal, change: .changed, id: id, fields: fields),
                                             for: record, staff, request, body: bytes)
        return try await answer(request, staff, record, outcome, goalId: id, status: .ok, message: "Goal updated successfully")
    }

    func addTask(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await task(request, taskId: nil)
    }

    func updateTask(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await task(request, taskId: try CareRecordInput.id(request, "taskId", notFound: Self.taskNotFound))
    }

    /// Adds a task (`taskId` nil) or changes one; answers the goal.
    private func task(_ request: HTTPRequest, taskId: UUID?) async throws -> HTTPResponse {
        let (staff, access) = try await clients.caller(request, needs: Permission.careWrite)
        let goalId = try CareRecordInput.id(request, "id", notFound: Self.notFound)
        let (bytes, body) = try await CareRecordInput.body(request)
        var issues: [CareIssue] = []
        let fields = CareRecordInput.fields(body, .goalTask, accepted: Self.taskFields, required: taskId == nil ? ["title"] : [],
                                            issues: &issues)
        guard issues.isEmpty else { throw CareValidationFailure(issues) }
        let record = try await clients.client(holding: goalId, appointment: false, notFound: Self.notFound, request, staff, access,
                                              needs: Permission.careWrite)
        let change = CareRecordChange(kind: .goalTask, change: taskId == nil ? .added : .changed, id: taskId ?? UUID(),
                                      goalId: goalId, fields: fields)
        let outcome = try await clients.send(change, for: record, staff, request, body: bytes)
        return try await answer(request, staff, record, outcome, goalId: goalId, status: taskId == nil ? .created : .ok,
                                message: taskId == nil ? "Task created successfully" : "Task updated successfully")
    }

    /// The goal after a write, from the read model once the write shows there.
    private func answer(_ request: HTTPRequest, _ staff: StaffCaller, _ record: ClientRecord, _ outcome: ClientCommandResponse,
                        goalId: UUID, status: HTTPStatus, message: String) async throws -> HTTPResponse {
        let (fresh, pending) = try await clients.settled(record, outcome)
        let shown = Self.goals(fresh).first { $0["id"] == .string(goalId.lowercasedString) }
        let goal: JSONValue
        if let shown {
            goal = Self.goal(shown)
        } else if let written = outcome.careRecord, written.id == goalId {
            goal = Self.goal(written.json)
        } else {
            goal = .null
        }
        try await clients.audit.record(staff, route: CareClientsAPI.route(request), clients: [fresh], sections: Self.sections,
                                       outcome: .allowed)
        return CareClientView.ok(goal, status: status, message: message).carrying(pending)
    }

    static func goals(_ record: ClientRecord) -> [JSONValue] {
        if case .array(let goals)? = record.careRecords?["goals"] { return goals }
        return []
    }

    /// A goal as the API shows it (absent optional fields as null, no tasks or history yet as []).
    static func goal(_ stored: JSONValue) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for key in ["id", "title", "description", "status", "targetDate", "createdAt", "updatedAt"] { object[key] = stored[key] ?? .null }
        object["tasks"] = .array(CareRecordsView.array(stored["tasks"]).map { task in
            .object(["id": task["id"] ?? .null, "title": task["title"] ?? .null, "done": task["done"] ?? false])
        })
        object["history"] = stored["history"] ?? .array([])
        return .object(object)
    }
}

/// Helpers the care record views share.
enum CareRecordsView {
    static func array(_ value: JSONValue?) -> [JSONValue] {
        if case .array(let items)? = value { return items }
        return []
    }
}
