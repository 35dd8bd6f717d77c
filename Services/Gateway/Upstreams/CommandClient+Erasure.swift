import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// The command service's erasure routes (`InternalPaths.clientErasures`): erase a client,
/// read its receipt, mark a step.
extension CommandClient {
    /// Erases `clientId` if it belongs to `scope`, or answers its receipt when it was erased
    /// already; 404 (`ClienteleError`) when there is no such client in `scope`.
    func erase(_ clientId: UUID, scope: ClientListQuery.TenantScope, actor: Actor) async throws -> ClientErasure {
        let request = ClientErasureRequest(clientId: clientId, tenantIds: Self.tenantIds(scope), actor: actor)
        return try await erasureCall(.POST, InternalPaths.clientErasures, body: try InternalJSON.encoder().encode(request))
    }

    /// The receipt of the client with this id or public number in `scope`; nil when none.
    func erasure(clientId: UUID? = nil, number: Int64? = nil, scope: ClientListQuery.TenantScope) async throws -> ClientErasure? {
        var query = clientId.map { "clientId=" + $0.lowercasedString } ?? number.map { "number=\($0)" } ?? ""
        if let tenants = Self.tenantIds(scope) {
            guard !tenants.isEmpty else { return nil }
            query += "&tenantId=" + tenants.map(\.lowercasedString).joined(separator: ",")
        }
        do {
            return try await erasureCall(.GET, InternalPaths.clientErasures + "?" + query, body: nil)
        } catch let error as ClienteleError where error.code == .notFound {
            return nil
        }
    }

    /// Marks `step` of `clientId`'s erasure `state` (a step marked already keeps its mark).
    func markErasureStep(_ clientId: UUID, _ step: ClientErasure.Step, _ state: ClientErasure.State) async throws -> ClientErasure {
        try await erasureCall(.POST, InternalPaths.clientErasureSteps(clientId),
                              body: try InternalJSON.encoder().encode(ClientErasureStepUpdate(step: step, state: state)))
    }

    private static func tenantIds(_ scope: ClientListQuery.TenantScope) -> [UUID]? {
        switch scope {
        case .everyTenant: nil
        case .tenants(let ids): ids
        }
    }

    private func erasureCall(_ method: HTTPMethod, _ path: String, body: Data?) async throws -> ClientErasure {
        var headers: HTTPHeaders = [InternalToken.headerName: token.value]
        if body != nil { headers.replaceOrAdd(name: "Content-Type", value: "application/json") }
        headers.addRequestContext()
        let response = try await http.execute(HTTPClientRequest(method: method, url: baseURL + path, headers: headers,
                                                                body: body.map(Array.init) ?? []))
        guard response.status.code == 200 else { throw UpstreamError.clienteleError(from: response, service: "command-service") }
        do {
            return try InternalJSON.decoder().decode(ClientErasure.self, from: Data(response.body))
        } catch {
            throw ClienteleError(.internal, "Internal server error", internalDetail: "undecodable erasure receipt: \(error)")
        }
    }
}
