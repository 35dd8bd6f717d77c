import Foundation
import HTTP
import Synchronization

/// A HubSpot CRM v3 contacts API played by the test (and by `deploy/local/run.sh` with
/// `CRM_FAKE=1`): batch upsert by a unique `idProperty`, batch archive by record id and
/// gdpr-delete, with HubSpot's answer shapes, served over real HTTP on 127.0.0.1, port 0.
///
/// It keeps the contacts it was sent, records every call, and answers the next calls with a
/// fault on request (`inject`): 429 with `Retry-After`, 500, a time-out (holds the request
/// past any sane client time-out) or a slow answer. It checks what HubSpot checks that the
/// sync could get wrong: the bearer token (when `requiredToken` is set), at most 100 inputs,
/// no id twice in one batch, the `idProperty` present and the same on every input.
public final class FakeCRM: Sendable {
    /// One contact as the fake holds it.
    public struct Contact: Sendable, Equatable {
        public var recordId: String
        public var properties: [String: String]
        public var archived: Bool
    }

    /// One request the fake received.
    public struct Call: Sendable {
        public var path: String
        public var headers: HTTPHeaders
        public var body: [UInt8]
        /// The status the fake answered.
        public var status: Int
        /// When the request arrived.
        public var receivedAt: ContinuousClock.Instant
        public var json: JSONValue? { try? JSONParser.parse(body) }
    }

    /// How the fake answers one call instead of normally.
    public enum Fault: Sendable, Equatable {
        case rateLimited(retryAfterSeconds: Int)
        case serverError
        /// Answers this 4xx with HubSpot's validation error shape.
        case rejected(status: Int)
        /// Holds the request this long before answering 504 (a client times out first).
        case timeout(Duration)
        /// Answers normally after this long.
        case slow(Duration)
    }

    struct State {
        var contacts: [String: Contact] = [:]
        /// idProperty value (lowercased) to record id.
        var byClientId: [String: String] = [:]
        var nextRecordId = 1001
        var calls: [Call] = []
        var faults: [Fault] = []
        var latency: Duration = .zero
        var requiredToken: String?
        /// Every upsert's properties per idProperty value, in the order applied.
        var upsertHistory: [String: [[String: String]]] = [:]
        var gdprDeleted: [String] = []
        /// Property values an upsert input is refused for (HubSpot's property validation).
        var refusedValues: [String: String] = [:]
    }

    final class Record: Sendable {
        let state = Mutex(State())
    }

    private let record: Record
    private let server: InProcessServer
    public var baseURL: String { server.baseURL }
    public static let idProperty = "clientele_id"

    public static func start() async throws -> FakeCRM {
        let record = Record()
        let router = Router()
        let options = RouteOptions(maxBodyBytes: 8 << 20)
        router.add(.POST, "/crm/v3/objects/contacts/batch/upsert", options: options) { request in
            try await Self.serve(request, record) { state, body in Self.upsert(body, &state) }
        }
        router.add(.POST, "/crm/v3/objects/contacts/batch/archive", options: options) { request in
            try await Self.serve(request, record) { state, body in Self.archive(body, &state) }
        }
        router.add(.POST, "/crm/v3/objects/contacts/gdpr-delete", options: options) { request in
            try await Self.serve(request, record) { state, body in Self.gdprDelete(body, &state) }
        }
        // Not HubSpot's: what the fake holds, for a process that runs it (FakeCRMServer).
        router.add(.GET, "/__fake/stats") { _ in
            let stats: JSONValue = record.state.withLock { state in
                ["contacts": .int(Int64(state.contacts.values.count { !$0.archived })), "calls": .int(Int64(state.calls.count)),
                 "upserts": .int(Int64(state.upsertHistory.values.reduce(0) { $0 + $1.count }))]
            }
            return .json(status: .ok, object: stats)
        }
        // The successful calls' paths and bodies, oldest first (a benchmark's baseline sends them again).
        router.add(.GET, "/__fake/requests") { _ in
            let calls = record.state.withLock { $0.calls.filter { (200..<300).contains($0.status) } }
            var writer = JSONWriter(capacity: calls.reduce(64) { $0 + $1.body.count + 80 })
            writer.array { writer in
                for call in calls {
                    writer.object { writer in
                        writer.member("body", call.json ?? .null)
                        writer.member("path", call.path)
                    }
                }
            }
            return .json(status: .ok, body: writer.bytes)
        }
        return FakeCRM(record: record, server: try await InProcessServer.start(router, configuration: HTTPServerConfiguration(eventLoopCount: 1)))
    }

    private init(record: Record, server: InProcessServer) {
        self.record = record
        self.server = server
    }

    public func stop() async throws { try await server.stop() }

    // MARK: Control

    /// The next `count` calls get `fault` (after any faults already queued).
    public func inject(_ fault: Fault, count: Int = 1) {
        record.state.withLock { $0.faults += Array(repeating: fault, count: count) }
    }

    /// Every answer waits this long first (the benchmark's "answering within 5 ms").
    public func setLatency(_ latency: Duration) { record.state.withLock { $0.latency = latency } }

    /// From now on a call without `Authorization: Bearer <token>` gets 401.
    public func requireToken(_ token: String?) { record.state.withLock { $0.requiredToken = token } }
    /// Refuses every upsert input whose `property` is `value`, as HubSpot refuses a property
    /// value it does not take: the others of the batch are applied and the answer is 207.
    public func refuse(property: String, value: String) { record.state.withLock { $0.refusedValues[property] = value } }

    // MARK: Inspection

    public var calls: [Call] { record.state.withLock { $0.calls } }
    public func calls(to suffix: String) -> [Call] { calls.filter { $0.path.hasSuffix(suffix) } }
    /// The contact whose idProperty is `clientId` (archived ones included).
    public func contact(clientId: String) -> Contact? {
        record.state.withLock { state in state.byClientId[clientId.lowercased()].flatMap { state.contacts[$0] } }
    }
    /// The contact with property `name` equal to `value` (archived ones included), when one has it.
    public func contact(where name: String, is value: String) -> Contact? {
        record.state.withLock { state in state.contacts.values.first { $0.properties[name] == value } }
    }
    /// Every upsert's properties for `clientId`, oldest first.
    public func upserts(clientId: String) -> [[String: String]] {
        record.state.withLock { $0.upsertHistory[clientId.lowercased()] ?? [] }
    }
    /// The idProperty values of the contacts gdpr-deleted, in order.
    public var gdprDeleted: [String] { record.state.withLock { $0.gdprDeleted } }
    public var liveContactCount: Int { record.state.withLock { $0.contacts.values.count { !$0.archived } } }

    // MARK: Serving

    private static func serve(_ request: HTTPRequest, _ record: Record,
                              _ handle: @Sendable @escaping (inout State, JSONValue) -> (Int, JSONValue?)) async throws -> HTTPResponse {
        let body = try await request.body.collect(upTo: 8 << 20)
        let receivedAt = ContinuousClock.now
        let (fault, latency, token) = record.state.withLock { state in
            (state.faults.isEmpty ? nil : state.faults.removeFirst(), state.latency, state.requiredToken)
        }
        if latency > .zero { try await Task.sleep(for: latency) }
        // A call is recorded under the same lock as its effect on the contacts, so a test that
        // sees a contact also sees the call that wrote it.
        func recorded(_ answer: HTTPResponse, applying effect: (inout State) -> Void = { _ in }) -> HTTPResponse {
            record.state.withLock { state in
                effect(&state)
                state.calls.append(Call(path: request.path, headers: request.headers, body: body, status: answer.status.code,
                                        receivedAt: receivedAt))
            }
            return answer
        }
        switch fault {
        case .rateLimited(let seconds):
            return recorded(error(429, category: "RATE_LIMITS", message: "You have reached your secondly limit.",
                                  headers: ["Retry-After": String(seconds)]))
        case .serverError:
            return recorded(error(500, category: "INTERNAL_ERROR", message: "internal error"))
        case .rejected(let status):
            return recorded(error(status, category: "VALIDATION_ERROR", message: "Property values were not valid"))
        case .timeout(let hold):
            try? await Task.sleep(for: hold)
            return recorded(error(504, category: "TIMEOUT", message: "timed out"))
        case .slow(let pause):
            try await Task.sleep(for: pause)
        case nil:
            break
        }
        if let token, request.headers["Authorization"] != "Bearer \(token)" {
            return recorded(error(401, category: "INVALID_AUTHENTICATION", message: "Authentication credentials not found."))
        }
        guard let json = try? JSONParser.parse(body) else {
            return recorded(error(400, category: "VALIDATION_ERROR", message: "Invalid input JSON"))
        }
        return record.state.withLock { state in
            let (status, answer) = handle(&state, json)
            let response = answer.map {
                HTTPResponse(status: HTTPStatus(code: status), headers: ["Content-Type": "application/json;charset=utf-8"],
                             body: $0.serialized())
            } ?? HTTPResponse(status: HTTPStatus(code: status))
            state.calls.append(Call(path: request.path, headers: request.headers, body: body, status: status, receivedAt: receivedAt))
            return response
        }
    }

    /// HubSpot's error shape.
    static func error(_ status: Int, category: String, message: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = headers
        headers.add(name: "Content-Type", value: "application/json;charset=utf-8")
        let body: JSONValue = ["status": "error", "message": .string(message), "category": .string(category),
                               "correlationId": .string(UUID().uuidString.lowercased())]
        return HTTPResponse(status: HTTPStatus(code: status), headers: headers, body: body.serialized())
    }

    static func validation(_ message: String) -> (Int, JSONValue?) {
        (400, ["status": "error", "message": .string(message), "category": "VALIDATION_ERROR",
               "correlationId": .string(UUID().uuidString.lowercased())])
    }

    static func now() -> JSONValue { .string(ISO8601DateFormatter().string(from: Date())) }

    static func upsert(_ body: JSONValue, _ state: inout State) -> (Int, JSONValue?) {
        guard case .array(let inputs)? = body["inputs"], !inputs.isEmpty else { return validation("inputs: must not be empty") }
        guard inputs.count <= 100 else { return validation("inputs: at most 100 inputs") }
        var seen: Set<String> = []
        var parsed: [(id: String, properties: [String: String])] = []
        for input in inputs {
            guard case .string(let id)? = input["id"], case .string(idProperty)? = input["idProperty"],
                  case .object(let properties)? = input["properties"] else {
                return validation("inputs: each needs id, idProperty \(idProperty) and properties")
            }
            guard seen.insert(id.lowercased()).inserted else { return validation("Duplicate IDs found in batch input: [\(id)]") }
            var strings: [String: String] = [:]
            for (name, value) in properties {
                guard case .string(let text) = value else { return validation("Property values must be strings: \(name)") }
                strings[name] = text
            }
            parsed.append((id.lowercased(), strings))
        }
        var results: [JSONValue] = []
        var errors: [JSONValue] = []
        for (id, properties) in parsed {
            if let (name, _) = state.refusedValues.first(where: { properties[$0.key] == $0.value }) {
                errors.append(["status": "error", "category": "VALIDATION_ERROR",
                               "message": .string("Property values were not valid: \(name)"),
                               "context": ["ids": [.string(id)]]])
                continue
            }
            let isNew = state.byClientId[id] == nil
            let recordId = state.byClientId[id] ?? String(state.nextRecordId)
            if isNew {
                state.nextRecordId += 1
                state.byClientId[id] = recordId
            }
            var contact = state.contacts[recordId] ?? Contact(recordId: recordId, properties: [:], archived: false)
            for (name, value) in properties { contact.properties[name] = value }
            contact.properties[idProperty] = id
            contact.archived = false
            state.contacts[recordId] = contact
            state.upsertHistory[id, default: []].append(properties)
            results.append(["id": .string(recordId), "new": .bool(isNew), "archived": false, "createdAt": now(), "updatedAt": now(),
                            "properties": .object(contact.properties.mapValues(JSONValue.string))])
        }
        guard errors.isEmpty else {
            return (207, ["status": "COMPLETE", "results": .array(results.reversed()), "numErrors": .int(Int64(errors.count)),
                          "errors": .array(errors), "startedAt": now(), "completedAt": now()])
        }
        return (200, ["status": "COMPLETE", "results": .array(results.reversed()), "startedAt": now(), "completedAt": now()])
    }

    static func archive(_ body: JSONValue, _ state: inout State) -> (Int, JSONValue?) {
        guard case .array(let inputs)? = body["inputs"], !inputs.isEmpty else { return validation("inputs: must not be empty") }
        guard inputs.count <= 100 else { return validation("inputs: at most 100 inputs") }
        for input in inputs {
            guard case .string(let recordId)? = input["id"] else { return validation("inputs: each needs id") }
            state.contacts[recordId]?.archived = true
        }
        return (204, nil)
    }

    static func gdprDelete(_ body: JSONValue, _ state: inout State) -> (Int, JSONValue?) {
        guard case .string(let objectId)? = body["objectId"] else { return validation("objectId: must not be empty") }
        let byIdProperty = body["idProperty"] == .string(idProperty)
        let key = byIdProperty ? state.byClientId[objectId.lowercased()] ?? "" : objectId
        // HubSpot's answer for an object it does not hold (a client erased before it was ever
        // synced): 404 with its error shape, category OBJECT_NOT_FOUND.
        guard let contact = state.contacts.removeValue(forKey: key) else {
            return (404, ["status": "error", "message": "Object not found.", "category": "OBJECT_NOT_FOUND",
                          "correlationId": .string(UUID().uuidString.lowercased())])
        }
        state.byClientId = state.byClientId.filter { $0.value != contact.recordId }
        if byIdProperty { state.gdprDeleted.append(objectId.lowercased()) }
        return (204, nil)
    }
}
