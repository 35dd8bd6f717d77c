import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import JSON
import Synchronization

/// The internal services the gateway calls (command service, search and stats projections,
/// document store: `FakeUpstreams+Documents`), faked on one HTTP server on port 0: each answers a fixed client, page or statistics, or
/// the failure a test chooses, as the real service renders it (`HTTPResponse(error:)`).
///
/// A failure is answered only where the real service can give it (`possibleFailures`), so
/// the answers the gateway passes on are the ones a caller can meet.
final class FakeUpstreams: Sendable {
    /// The internal endpoints, by the service that answers them.
    enum Service: Sendable, CaseIterable {
        case commands, search, stats, documents, crm
    }

    /// What the command service can answer a command with, besides success: a domain rule
    /// (`invalid_argument`) when it sets fields, not found unless it creates, a stale
    /// `expectedVersion`, a reused idempotency key, a unique claim (email, username), a
    /// document attached already (or one too many) or malformed, and unavailable or internal.
    static func possibleFailures(of command: ClientCommandRequest) -> [ClienteleError] {
        var failures = [ClienteleError(.unavailable, "The client is being changed by many writers at once; try again"),
                        ClienteleError(.internal, "Internal server error")]
        if command.profile != nil || command.changes != nil {
            failures.append(ClienteleError(.invalidArgument, "name must be at most 200 characters", context: ["field": "name"]))
        }
        if command.command != .create { failures.append(ClienteleError(.notFound, "Client not found")) }
        if command.command == .attachDocument {
            failures.append(ClienteleError(.conflict, "This document is attached already", context: ["field": "document"]))
            failures.append(ClienteleError(.invalidArgument, "The document reference is malformed", context: ["field": "document"]))
        }
        if command.expectedVersion != nil {
            failures.append(ClienteleError(.preconditionFailed, "The client has changed since the given version"))
        }
        if command.idempotency != nil {
            failures.append(ClienteleError(.unprocessable, "This idempotency key was already used for a different request"))
        }
        func sets(_ change: FieldChange<String>?) -> Bool { if case .set? = change { true } else { false } }
        let setsEmail = command.profile?.email != nil || sets(command.changes?.email)
        let setsUsername = command.profile?.username != nil || sets(command.changes?.username)
        if setsEmail { failures.append(ClienteleError(.conflict, "A client with this email already exists", context: ["field": "email"])) }
        if setsUsername {
            failures.append(ClienteleError(.conflict, "A client with this username already exists", context: ["field": "username"]))
        }
        return failures
    }

    /// What a projection can answer a read with, besides success.
    static let projectionFailures = [ClienteleError(.unavailable, "Service temporarily unavailable"),
                                     ClienteleError(.internal, "Internal server error")]

    /// What crm-sync can answer a company's CRM settings with, besides success: a `baseUrl` or
    /// token it refuses (saving), no `CRM_SECRET_KEY` (saving), unavailable, internal.
    static func crmFailures(saving: Bool) -> [ClienteleError] {
        var failures = [ClienteleError(.unavailable, "Service temporarily unavailable"), ClienteleError(.internal, "Internal server error")]
        if saving {
            failures.append(ClienteleError(.invalidArgument, "baseUrl must use https", context: ["field": "baseUrl"]))
        }
        return failures
    }

    /// What the services answer: `client`, or the failure chosen for each service.
    final class Answers: Sendable {
        let client: ClientRecord
        /// The failure the next calls to a service meet: the failure code, or nil to succeed.
        let failing = Mutex<[Service: ClienteleError.Code]>([:])

        init(client: ClientRecord) { self.client = client }

        func failure(_ service: Service, among possible: [ClienteleError]) -> ClienteleError? {
            guard let code = failing.withLock({ $0[service] }) else { return nil }
            return possible.first { $0.code == code }
        }
    }

    private let answers: Answers
    private let server: LocalServer
    var baseURL: String { server.baseURL }

    /// Starts the services; every read and write answers `client`.
    init(client: ClientRecord) async throws {
        answers = Answers(client: client)
        let router = Router()
        Self.register(answers, on: router)
        server = try await LocalServer(router)
    }

    func stop() async { await server.stop() }

    /// Makes `service` answer `code` wherever it can (nil: succeed again).
    func fail(_ service: Service, with code: ClienteleError.Code?) {
        answers.failing.withLock { $0[service] = code }
    }

    /// A whole record of `kind`, for a care command's answer (the command's fields set over it).
    static func sampleFields(_ kind: CareRecordKind) -> [String: JSONValue] {
        switch kind {
        case .goal: ["title": "Improve communication skills", "status": "not_started"]
        case .goalTask: ["title": "Practise daily", "done": false]
        case .medication: ["medicineName": "Medication A", "dose": "10mg", "frequency": "Daily", "startDate": "2026-01-01",
                           "status": "active"]
        case .appointment: ["healthCarerId": .string(UUID().lowercasedString), "startsAt": "2026-01-14T22:00:00.000Z",
                            "endsAt": "2026-01-15T06:00:00.000Z", "serviceType": "Support Work", "status": "scheduled"]
        }
    }

    /// The routes, added before the server starts (it compiles them then).
    private static func register(_ answers: Answers, on router: Router) {
        let client = answers.client
        router.post(InternalPaths.clientCommands) { request in
            let command = try ClientCommandRequest(internalJSON: JSONParser.parse(try await request.body.collect(upTo: 1 << 20)))
            if let failure = answers.failure(.commands, among: Self.possibleFailures(of: command)) { throw failure }
            let written = command.command == .delete ? nil : client
            // What the command detached, for the gateway to delete from the document store.
            var detached = command.documentId.map { [$0] } ?? []
            if command.document?.use == .passport, let passport = client.documents.passport { detached.append(passport.id) }
            // A care record command answers the record as the command left it.
            let careRecord = command.careRecord.map { change in
                CareRecord(id: change.id, fields: Self.sampleFields(change.kind).merging(change.fields) { _, given in given })
            }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"],
                                body: ClientCommandResponse(client: written, version: client.version, replayed: false,
                                                            detachedDocumentIds: detached, careRecord: careRecord).internalJSONBytes)
        }
        // Erasures: the client's receipt, every step done but the key's.
        let erasureFailures = [ClienteleError(.notFound, "Client not found"),
                               ClienteleError(.unavailable, "Service temporarily unavailable"),
                               ClienteleError(.internal, "Internal server error")]
        @Sendable func receipt() throws -> HTTPResponse {
            if let failure = answers.failure(.commands, among: erasureFailures) { throw failure }
            let time = Date(timeIntervalSince1970: 1_767_000_000)
            let erasure = ClientErasure(clientId: client.id, tenantId: client.tenantId, number: client.number, erasedAt: time,
                                        erasedVersion: client.version, by: Actor(kind: .user, id: "admin"),
                                        steps: ClientErasure.Step.allCases.map {
                                            ClientErasure.StepState(step: $0, state: $0 == .key ? .pending : .done, at: $0 == .key ? nil : time)
                                        })
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"],
                                body: Array(try InternalJSON.encoder().encode(erasure)))
        }
        router.post(InternalPaths.clientErasures) { _ in try receipt() }
        router.get(InternalPaths.clientErasures) { _ in try receipt() }
        router.post(InternalPaths.clientErasures + "/:clientId/steps") { _ in try receipt() }
        // The client's history: its creation; or a stream the tenant does not hold, unavailable, internal.
        router.get(InternalPaths.clientHistory + "/:clientId") { _ in
            if let failure = answers.failure(.commands, among: Self.projectionFailures + [ClienteleError(.notFound, "Client not found")]) {
                throw failure
            }
            let created = ClientHistoryPage.Entry(type: ClientCreated.type, version: 1, occurredAt: client.createdAt,
                                                  actor: Actor(kind: .user, id: UUID().lowercasedString),
                                                  data: ClientCreated(profile: client.profile, number: client.number).json)
            return .json(status: .ok, object: ClientHistoryPage(events: [created], nextVersion: nil).json)
        }
        router.get(InternalPaths.careAppointments) { _ in
            if let failure = answers.failure(.search, among: Self.projectionFailures) { throw failure }
            let start = Date(timeIntervalSince1970: 1_767_000_000)
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: CareAppointment.wireBytes([
                CareAppointment(id: UUID(), clientId: client.id, carerId: UUID(), startsAt: start, endsAt: start + 3600,
                                serviceType: "Support Work", status: "scheduled"),
            ]))
        }
        router.get(InternalPaths.carerClients) { _ in
            if let failure = answers.failure(.search, among: Self.projectionFailures) { throw failure }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: CarerClient.wireBytes([
                CarerClient(id: client.id, number: client.number, name: client.profile.name, firstName: nil, lastName: nil,
                            appointmentCount: 5),
            ]))
        }
        router.get(InternalPaths.clients) { _ in
            if let failure = answers.failure(.search, among: Self.projectionFailures) { throw failure }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"],
                                body: ClientListPage(data: [client], total: 1).internalJSONBytes)
        }
        router.post(InternalPaths.clientLookups) { request in
            if let failure = answers.failure(.search, among: Self.projectionFailures) { throw failure }
            let lookups = try TenantClientId.lookups(fromRequest: JSONParser.parse(try await request.body.collect(upTo: 1 << 20)))
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"],
                                body: TenantClientId.answerJSON(lookups.map { lookup in
                                    var found = client
                                    switch lookup.key {
                                    case .id(let id): found.id = id
                                    case .number(let number): found.number = number
                                    }
                                    found.tenantId = lookup.tenantId ?? client.tenantId
                                    return found
                                }))
        }
        router.get(InternalPaths.clientPages) { _ in
            if let failure = answers.failure(.search, among: Self.projectionFailures) { throw failure }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"],
                                body: ClientCursorPage(data: [client], next: .init(value: "Ada", id: client.id)).internalJSONBytes)
        }
        router.get(InternalPaths.clients + "/:id/visibility") { _ in
            if let failure = answers.failure(.search, among: Self.projectionFailures) { throw failure }
            return .json(status: .ok, object: ClientVisibility(visible: true, version: client.version, parked: false).internalJSON)
        }
        router.get(InternalPaths.stats) { _ in
            if let failure = answers.failure(.stats, among: Self.projectionFailures) { throw failure }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"],
                                body: Array(try InternalJSON.encoder().encode(ClientStats())))
        }
        router.get("/v1/crm/companies/:tenantId") { _ in
            if let failure = answers.failure(.crm, among: Self.crmFailures(saving: false)) { throw failure }
            return .json(status: .ok, object: ["enabled": true, "baseUrl": "https://api.hubapi.com", "hasAccessToken": true])
        }
        router.put("/v1/crm/companies/:tenantId") { request in
            if let failure = answers.failure(.crm, among: Self.crmFailures(saving: true)) { throw failure }
            let body = try JSONParser.parse(try await request.body.collect(upTo: 1 << 16))
            return .json(status: .ok, object: ["enabled": body["enabled"] ?? false, "baseUrl": body["baseUrl"] ?? .null,
                                               "hasAccessToken": true])
        }
        registerDocumentStore(answers, on: router)
    }
}
