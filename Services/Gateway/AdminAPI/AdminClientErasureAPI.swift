import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import ServiceRuntime

/// A client's erasure through the admin API (beyond the document; issue 24):
/// `POST /api/admin/clients/:clientId/erase` erases it and answers the receipt,
/// `GET` answers the receipt, for callers holding `clients.admin` and `clients.erase`
/// (super-admin and admin), in the caller's companies only (another company's client is 404
/// like a missing one).
///
/// POST: the command service appends `client.erased` and records the receipt in one
/// transaction (`log` done; `key` done once the key store's shred is wired there); then here
/// the search and stats projections are waited for at the erased version (`search`, `stats`
/// done once each shows it, within the read-your-writes bound), the document store deletes
/// the client's documents and their files (`documents`); `crm` is `not_applicable` when the
/// company's CRM sync is off (asked of crm-sync here), else crm-sync marks it `done` once the
/// CRM acknowledged the client's gdpr-delete.
/// POST again on an erased client resumes the steps still pending and answers the receipt;
/// it never appends twice.
///
/// `:clientId` is the API's `client_<number>` (which still finds the receipt once the read
/// models forgot the client) or the client's UUID (the only way to name a client deleted
/// before its erasure, since a deleted client keeps no number in the read models).
struct AdminClientErasureAPI: Sendable {
    let authenticator: SessionAuthenticator
    let commands: CommandClient
    let search: SearchClient
    let documents: DocumentClient
    /// crm-sync, asked whether the client's company syncs to a CRM at all.
    let crm: CRMSyncClient
    /// The search and stats projections, each waited for on its own (each is a step).
    let searchVisibility: ProjectionVisibility
    let statsVisibility: ProjectionVisibility
    let timeout: Duration
    let logger: Logger

    static let path = AdminClientsAPI.path + "/:clientId/erase"
    static let forbidden = ClienteleError(.permissionDenied, "Erasure privileges required")

    func register(on setup: ServiceSetup) {
        setup.route(.POST, Self.path, APIErrorRendering.wrap(erase, rendering: AdminClientView.error))
        setup.route(.GET, Self.path, APIErrorRendering.wrap(receipt, rendering: AdminClientView.error))
    }

    func erase(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let clientId = try await resolve(request.pathParameters["clientId"], caller)
        var erasure = try await commands.erase(clientId, scope: caller.scope, actor: caller.actor)
        erasure = try await resume(erasure)
        return Self.ok(erasure)
    }

    func receipt(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await caller(request)
        let id = request.pathParameters["clientId"] ?? ""
        let found: ClientErasure?
        if let number = AdminClientView.number(fromId: id) {
            found = try await commands.erasure(number: number, scope: caller.scope)
        } else if let uuid = UUID(canonical: id) {
            found = try await commands.erasure(clientId: uuid, scope: caller.scope)
        } else {
            found = nil
        }
        guard let found else { throw ClienteleError(.notFound, "No erasure of this client") }
        return Self.ok(found)
    }

    /// Does the steps of `erasure` still pending (`ClientErasureSteps`) through the gateway's
    /// clients of the services; the receipt afterwards. A failed step is logged with ids only.
    func resume(_ erasure: ClientErasure) async throws -> ClientErasure {
        let (commands, documents, crm, logger, timeout) = (commands, documents, crm, logger, timeout)
        let (searchVisibility, statsVisibility) = (searchVisibility, statsVisibility)
        let steps = ClientErasureSteps(
            searchShows: { id, version in await searchVisibility.waitUntilVisible(id, version: version, timeout: timeout) },
            statsShows: { id, version in await statsVisibility.waitUntilVisible(id, version: version, timeout: timeout) },
            eraseDocuments: { id in try await documents.eraseDocuments(ofClient: id) },
            crmSyncEnabled: { tenant in
                guard let company = try? await crm.configuration(of: tenant), case .bool(let enabled)? = company["enabled"] else { return nil }
                return enabled
            },
            mark: { id, step, state in try await commands.markErasureStep(id, step, state) },
            reread: { id in try await commands.erasure(clientId: id, scope: .everyTenant) },
            failed: { step, error in
                logger.warning("an erasure step failed; it stays pending", ["client_id": erasure.clientId.lowercasedString,
                                                                            "step": step.rawValue, "error": String(describing: error)])
            })
        return try await steps.resume(erasure)
    }

    private func caller(_ request: HTTPRequest) async throws -> AdminCaller {
        let caller = try AdminCaller(try await authenticator.authenticate(request))
        guard caller.staff.can(Permission.clientsErase) else { throw Self.forbidden }
        return caller
    }

    /// The UUID of the client `id` names among the caller's companies: a live client by its
    /// number, an erased one by its receipt, or a UUID as given (the command service checks
    /// its company). 404 otherwise.
    private func resolve(_ id: String?, _ caller: AdminCaller) async throws -> UUID {
        guard let id else { throw AdminClientsAPI.notFound }
        if let uuid = UUID(canonical: id) { return uuid }
        guard let number = AdminClientView.number(fromId: id) else { throw AdminClientsAPI.notFound }
        if case .tenants(let ids) = caller.scope, ids.isEmpty { throw AdminClientsAPI.notFound }
        if let record = try await search.list(ClientListQuery(scope: caller.scope, limit: 1, number: number)).data.first {
            return record.id
        }
        guard let erased = try await commands.erasure(number: number, scope: caller.scope) else { throw AdminClientsAPI.notFound }
        return erased.clientId
    }

    /// `{success, data: {clientId, erasedAt, by, steps: [{step, state, at}], complete}}`.
    static func ok(_ erasure: ClientErasure) -> HTTPResponse {
        AdminClientView.ok(["data": view(erasure)])
    }

    static func view(_ erasure: ClientErasure) -> JSONValue {
        [
            "clientId": .string(erasure.number.map { "client_\($0)" } ?? erasure.clientId.lowercasedString),
            "erasedAt": .string(Timestamp.format(erasure.erasedAt)),
            "by": ["kind": .string(erasure.by.kind.rawValue), "id": .string(erasure.by.id)],
            "steps": .array(erasure.steps.map { step in
                ["step": .string(step.step.rawValue), "state": .string(step.state.rawValue),
                 "at": step.at.map { .string(Timestamp.format($0)) } ?? .null]
            }),
            "complete": .bool(erasure.isComplete),
        ]
    }
}
