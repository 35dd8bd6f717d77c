import ClientDomain
import Crypto
import Errors
import EventLog
import EventStore
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `POST` `InternalPaths.clientCommands`: runs one `ClientCommandRequest` through the
/// `ClientCommandHandler`, with idempotency keys.
///
/// With `idempotency` set, a key already recorded in its scope answers the recorded response
/// with `replayed: true` and writes nothing, or 422 if the key was recorded for a different
/// request (another `requestHash`). Concurrent requests with one key resolve to one write:
/// the key is recorded with the events (`IdempotencyRecord`), the loser's append is refused
/// whole (`idempotencyKeyTaken`, or a unique claim or decision the winner's write refuses)
/// and, once the key is recorded, it answers the winner's response.
///
/// The append draws a create's public number (`ClientNumbers`); a `setPortalPassword` stores
/// the hash (`PortalCredentialStore`) alongside the event, in its transaction.
///
/// The events carry the request's correlation id, its request id as causation id, and its
/// trace (`traceparent`); with debug logging on, each command handled gets a log line.
struct ClientCommandEndpoint: Sendable {
    let handler: ClientCommandHandler
    let idempotency: IdempotencyStore
    let logger: Logger

    /// Largest accepted request body: room for a create with every field near its limit,
    /// custom fields' 64 KiB (`WorkspaceFieldLimits.maxCustomFieldBytes`) and notes' 40,000
    /// bytes included, even with every character escaped.
    static let maxBodyBytes = 512 * 1024
    /// Limits on the idempotency token's parts.
    static let maxScopeLength = 200
    static let maxKeyLength = 255
    static let maxRequestHashLength = 128

    func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        // Parsed without `JSONDecoder`, with the same 400s naming the field.
        let command = try await request.decodeJSON(maxBytes: Self.maxBodyBytes) { value throws(JSONFieldError) in
            try ClientCommandRequest(internalJSON: value)
        }
        let response = try await execute(command)
        logger.debug("client command handled", ["command": command.command.rawValue,
                                                "client_id": command.clientId.lowercasedString,
                                                "version": String(response.version), "replayed": String(response.replayed)])
        return HTTPResponse.json(status: .ok, body: response.internalJSONBytes)
    }

    /// Runs `request`, honouring its idempotency token.
    func execute(_ request: ClientCommandRequest) async throws -> ClientCommandResponse {
        let command = try Self.command(from: request)
        let metadata = CommandMetadata(actor: request.actor,
                                       correlationId: LogContext.correlationId ?? LogContext.requestId ?? UUID().uuidString,
                                       causationId: LogContext.requestId, traceparent: LogContext.trace?.traceparent)
        let credential = try Self.portalPasswordHash(request).map { (hash: $0, temporary: request.command == .create) }
        guard let token = request.idempotency else {
            let outcome = try await handler.handle(command, metadata: metadata,
                                                   alongside: Self.alongside(credential: credential, token: nil, command: command))
            return Self.response(for: outcome, command: command)
        }
        try Self.validate(token)
        if let earlier = try await idempotency.earlier(token) { return try Self.answer(earlier) }
        do {
            let outcome = try await handler.handle(command, metadata: metadata,
                                                   alongside: Self.alongside(credential: credential, token: token, command: command))
            let response = Self.response(for: outcome, command: command)
            if outcome.events.isEmpty {
                // Nothing was appended, so nothing recorded the key: record it on its own.
                let record = IdempotencyStore.record(token, response: response)
                _ = try await handler.store.append(AppendBatcher.Request(streamId: command.clientId, numbers: nil) { _ in
                    AppendBatcher.Writes(events: [], alongside: AppendBatcher.Alongside(idempotency: record))
                })
            }
            return response
        } catch {
            // A concurrent request with the same key may have won, and this one lost to it: on
            // the key's record, or on what the winner wrote (a unique claim such as a carer's
            // slot, or a decision against the winner's events). Its answer is then this one's.
            if let earlier = try await idempotency.earlier(token) { return try Self.answer(earlier) }
            if case PostgresEventStore.AppendConflict.idempotencyKeyTaken = error {
                throw ClienteleError(.unavailable, "A concurrent request with this idempotency key is in progress; retry")
            }
            throw error
        }
    }

    /// What a command writes beside its events: the portal password hash it carries, and the
    /// record of its idempotency key (answered with the client after the command, and a care
    /// record command's record, as the first answer gave them); nil when neither.
    static func alongside(credential: (hash: String, temporary: Bool)?, token: IdempotencyToken?,
                          command: ClientCommand) -> (@Sendable (Client) throws -> AppendBatcher.Alongside)? {
        guard credential != nil || token != nil else { return nil }
        return { client in
            var alongside = AppendBatcher.Alongside()
            if let credential {
                alongside.statements.append(PortalCredentialStore.record(clientId: client.id, passwordHash: credential.hash,
                                                                         temporary: credential.temporary))
            }
            if let token {
                alongside.idempotency = IdempotencyStore.record(token, response: Self.response(client: client, command: command))
            }
            return alongside
        }
    }

    private static func answer(_ earlier: IdempotencyStore.Earlier) throws -> ClientCommandResponse {
        switch earlier {
        case .same(let response): return response
        case .different:
            throw ClienteleError(.unprocessable, "This idempotency key was already used for a different request",
                                 context: ["field": "Idempotency-Key"])
        }
    }

    static func validate(_ token: IdempotencyToken) throws {
        func check(_ value: String, _ field: String, max: Int) throws {
            guard !value.isEmpty, value.utf8.count <= max, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw ClienteleError(.invalidArgument, "idempotency.\(field) must be 1 to \(max) printable ASCII characters",
                                     context: ["field": "idempotency.\(field)"])
            }
        }
        try check(token.scope, "scope", max: maxScopeLength)
        try check(token.key, "key", max: maxKeyLength)
        try check(token.requestHash, "requestHash", max: maxRequestHashLength)
    }

    /// The domain command a request asks for; 400 when the kind's payload is missing.
    static func command(from request: ClientCommandRequest) throws -> ClientCommand {
        switch request.command {
        case .create:
            guard let profile = request.profile else {
                throw ClienteleError(.invalidArgument, "profile is required to create a client", context: ["field": "profile"])
            }
            return .create(CreateClient(clientId: request.clientId, tenantId: request.tenantId, profile: profile))
        case .update:
            guard let changes = request.changes else {
                throw ClienteleError(.invalidArgument, "changes are required to update a client", context: ["field": "changes"])
            }
            return .update(UpdateClient(clientId: request.clientId, tenantId: request.tenantId, changes: changes,
                                        expectedVersion: request.expectedVersion))
        case .delete:
            return .delete(DeleteClient(clientId: request.clientId, tenantId: request.tenantId,
                                        expectedVersion: request.expectedVersion))
        case .setPortalPassword:
            return .setPortalPassword(SetPortalPassword(clientId: request.clientId, tenantId: request.tenantId))
        case .recordActivity:
            return .recordActivity(RecordActivity(clientId: request.clientId, tenantId: request.tenantId,
                                                  submission: request.submission ?? false))
        case .attachDocument:
            guard let document = request.document else {
                throw ClienteleError(.invalidArgument, "document is required to attach a document", context: ["field": "document"])
            }
            return .attachDocument(AttachDocument(clientId: request.clientId, tenantId: request.tenantId, document: document))
        case .removeDocument:
            guard let documentId = request.documentId else {
                throw ClienteleError(.invalidArgument, "documentId is required to remove a document", context: ["field": "documentId"])
            }
            return .removeDocument(RemoveDocument(clientId: request.clientId, tenantId: request.tenantId, documentId: documentId))
        case .changeCareRecord:
            guard let record = request.careRecord else {
                throw ClienteleError(.invalidArgument, "careRecord is required to change a care record", context: ["field": "careRecord"])
            }
            return .changeCareRecord(ChangeCareRecord(clientId: request.clientId, tenantId: request.tenantId, kind: record.kind,
                                                      change: record.change, id: record.id, goalId: record.goalId,
                                                      fields: record.fields))
        }
    }

    /// The hash a `setPortalPassword` carries (required there; a create may carry a
    /// temporary one; refused elsewhere); it must be a `PasswordHash` string, so a plain
    /// password sent by mistake is never stored.
    static func portalPasswordHash(_ request: ClientCommandRequest) throws -> String? {
        if request.command == .create && request.portalPasswordHash == nil { return nil }
        guard request.command == .setPortalPassword || request.command == .create else {
            guard request.portalPasswordHash == nil else {
                throw ClienteleError(.invalidArgument, "portalPasswordHash is only accepted by setPortalPassword",
                                     context: ["field": "portalPasswordHash"])
            }
            return nil
        }
        guard let hash = request.portalPasswordHash, hash.utf8.count <= PortalCredentialStore.maxHashLength,
              PasswordHash(encoded: hash) != nil else {
            throw ClienteleError(.invalidArgument, "portalPasswordHash must be a password hash",
                                 context: ["field": "portalPasswordHash"])
        }
        return hash
    }

    /// The answer to `command` that left `client` (a care record command's record included).
    static func response(client: Client, command: ClientCommand) -> ClientCommandResponse {
        var response = ClientCommandResponse(client: ClientRecord(client), version: client.version, replayed: false)
        if case .changeCareRecord(let change) = command {
            response.careRecord = client.careRecords.list(change.kind, goalId: change.goalId)[change.id]
        }
        return response
    }

    static func response(for outcome: CommandOutcome, command: ClientCommand) -> ClientCommandResponse {
        guard let client = outcome.client else {
            // Only a failed create leaves no client, and that throws before here.
            return ClientCommandResponse(client: nil, version: 0, replayed: false)
        }
        var response = response(client: client, command: command)
        response.detachedDocumentIds = detachedDocumentIds(outcome.events)
        return response
    }

    /// The documents `events` took from their client (a replaced passport, a removed document).
    static func detachedDocumentIds(_ events: [StoredEvent]) -> [UUID] {
        events.compactMap { stored -> UUID? in
            let type = stored.envelope.type
            guard type == ClientDocumentReplaced.type || type == ClientDocumentRemoved.type,
                  let event = try? ClientEvent.decode(stored.envelope) else { return nil }
            switch event {
            case .documentReplaced(let replaced): return replaced.replacedId
            case .documentRemoved(let removed): return removed.documentId
            default: return nil
            }
        }
    }
}
