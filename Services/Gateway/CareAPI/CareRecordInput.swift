import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import JSON

/// Reads the bodies of the care API's goal, task, medication and appointment routes: a JSON
/// object whose keys are checked against the route's fields and `CareRecordSchema`'s rules,
/// every problem collected (`CareValidationFailure`) before anything is sent. The decider
/// checks the record again, whichever route sent it.
enum CareRecordInput {
    static let maxBodyBytes = 16 * 1024

    /// The body's bytes (an `Idempotency-Key`'s request hash covers them) and its object.
    static func body(_ request: HTTPRequest) async throws -> (bytes: [UInt8], object: [String: JSONValue]) {
        let bytes = try await OrganizationClientsAPI.jsonBody(request, maxBytes: maxBodyBytes)
        return (bytes, try CareClientInput.object(bytes))
    }

    /// The fields of `body` a route takes (`accepted`, besides `extra` keys it reads itself),
    /// checked as changes of a `kind` record; with `required`, those must be present.
    static func fields(_ body: [String: JSONValue], _ kind: CareRecordKind, accepted: [String], extra: [String] = [],
                       required: [String] = [], issues: inout [CareIssue]) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for key in body.keys.sorted() where !accepted.contains(key) && !extra.contains(key) {
            issues.append(CareIssue(key, "is not a known field"))
        }
        for key in accepted { if let value = body[key] { fields[key] = value } }
        for key in required where fields[key] == nil || fields[key] == .null {
            issues.append(CareIssue(key, "is required"))
        }
        issues += CareRecordSchema.issues(ofChanges: fields.filter { !required.contains($0.key) || $0.value != .null }, kind)
        return fields
    }

    /// The `clientId` member of a create body (the client's number or `client_<number>`).
    static func clientId(_ body: [String: JSONValue], issues: inout [CareIssue]) -> String? {
        switch body["clientId"] {
        case .string(let text)?: return text
        case nil, .null?: issues.append(CareIssue("clientId", "is required"))
        default: issues.append(CareIssue("clientId", "must be a client id"))
        }
        return nil
    }

    /// The record id in the path parameter `name`; 404 (`notFound`) when it is not one.
    static func id(_ request: HTTPRequest, _ name: String, notFound: ClienteleError) throws -> UUID {
        guard let id = request.pathParameters[name].flatMap(UUID.init(canonical:)) else { throw notFound }
        return id
    }
}

extension CareClientsAPI {
    /// Sends a care record command for `record`'s client, with the request's `Idempotency-Key`
    /// (`body`: the request's body bytes, which its request hash covers).
    func send(_ change: CareRecordChange, for record: ClientRecord, _ staff: StaffCaller, _ request: HTTPRequest,
              body: [UInt8]) async throws -> ClientCommandResponse {
        let idempotency = try idempotency(request, body: body, companyId: record.tenantId, staff)
        return try await commands.send(ClientCommandRequest(command: .changeCareRecord, clientId: record.id, tenantId: record.tenantId,
                                                            actor: actor(staff), idempotency: idempotency, careRecord: change))
    }

    /// The client holding the goal or medication `id` (`appointment`: the appointment) in the
    /// caller's companies, if the caller may `permission` it; `notFound` when there is none.
    func client(holding id: UUID, appointment: Bool, notFound: ClienteleError, _ request: HTTPRequest, _ staff: StaffCaller,
                _ access: CareAccess, needs permission: String) async throws -> ClientRecord {
        var query = ClientListQuery(scope: try Self.scope(companyParameter: nil, access), limit: 1)
        if appointment { query.care.appointmentId = id } else { query.care.recordId = id }
        guard let record = try await pageOrEmpty(query).data.first else { throw notFound }
        try await authorize(record, request, staff, access, needs: permission)
        return record
    }

    /// The client as the search projection shows it once `outcome` is visible there (the
    /// write's answer is rendered from it), `record` when it is not visible in time; and the
    /// headers the answer is to carry (`X-Consistency: pending`, `Idempotent-Replayed: true`),
    /// if any.
    func settled(_ record: ClientRecord, _ outcome: ClientCommandResponse) async throws -> (ClientRecord, HTTPResponse?) {
        let settled = await readYourWrites.settle(HTTPResponse(status: .ok), id: record.id, outcome: outcome)
        let visible = settled.headers["X-Consistency"] == nil
        let carried = visible && !outcome.replayed ? nil : settled
        guard visible, let fresh = try await search.client(record.id, tenantId: record.tenantId) else { return (record, carried) }
        return (fresh, carried)
    }
}

extension HTTPResponse {
    /// This response with the headers a read-your-writes wait set (`X-Consistency`,
    /// `Idempotent-Replayed`).
    func carrying(_ settled: HTTPResponse?) -> HTTPResponse {
        guard let settled else { return self }
        var response = self
        for field in settled.headers where field.name.lowercased() == "x-consistency" || field.name.lowercased() == "idempotent-replayed" {
            response.headers.replaceOrAdd(name: field.name, value: field.value)
        }
        return response
    }
}
