import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import ServiceRuntime

/// `POST /api/api-keys`, `GET /api/api-keys`, `DELETE /api/api-keys/:id`, for callers with
/// `api_keys.manage` (the super-admin role): the HTTP face of `clientctl api-key`.
///
/// Create takes `{"companyId": id, "permissions": ["clients:read", "clients:write"]}`
/// (permissions optional, both by default) and answers `201 {"data": key}` where `key` also
/// has `"key": "ba_…"`: the only time the secret is shown. List answers `{"data": [key]}`
/// (newest first, revoked ones included, `?companyId=` to filter) without secrets. Delete
/// revokes at once and answers `{"success": true}`; 404 when there is no live key with that id.
struct APIKeysAPI: Sendable {
    let store: IdentityStore
    let authenticator: SessionAuthenticator
    /// The API-key authenticator's cache, emptied of a key as it is revoked.
    let verifiedKeys: VerifiedAPIKeyCache

    static let path = "/api/api-keys"

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: IdentityInput.maxBodyBytes)
        setup.route(.POST, Self.path, options: options, IdentityView.rendering(create))
        setup.route(.GET, Self.path, IdentityView.rendering(list))
        setup.route(.DELETE, Self.path + "/:id", options: options, IdentityView.rendering(revoke))
    }

    static func view(_ key: APIKey) -> JSONValue {
        .object([
            "id": .string(key.id.lowercasedString),
            "companyId": .string(key.companyId.lowercasedString),
            "prefix": .string(key.prefix),
            "permissions": .array(key.permissions.sorted().map(JSONValue.string)),
            "createdAt": .string(Timestamp.format(key.createdAt)),
            "revokedAt": key.revokedAt.map { .string(Timestamp.format($0)) } ?? .null,
        ])
    }

    func create(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        try caller.require(Permission.apiKeysManage)
        var input = try await IdentityInput.read(request, allowed: ["companyId", "permissions"])
        let companyText = input.string("companyId", required: true)
        let permissions = input.strings("permissions", required: false)
        try input.check()
        guard let companyText, companyText.utf8.count == 36, let companyId = UUID(uuidString: companyText),
              try await store.company(id: companyId) != nil else {
            throw ValidationFailure(field: "companyId", "must be the id of an existing company")
        }
        let issued = try await store.issueAPIKey(companyId: companyId, permissions: permissions ?? APIKeyPermission.defaults)
        guard case .object(var object) = Self.view(issued.key) else { throw ClienteleError(.internal, "Internal server error") }
        object["key"] = .string(issued.secret)
        return .json(status: .created, object: ["data": .object(object)])
    }

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        try caller.require(Permission.apiKeysManage)
        let keys: [APIKey]
        if let filter = request.queryParameter("companyId") {
            guard filter.utf8.count == 36, let companyId = UUID(uuidString: filter) else {
                throw ValidationFailure(field: "companyId", "must be a company id (UUID)")
            }
            keys = try await store.apiKeys(companyId: companyId)
        } else {
            keys = try await store.allAPIKeys()
        }
        return .json(status: .ok, object: ["data": .array(keys.map(Self.view))])
    }

    func revoke(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        try caller.require(Permission.apiKeysManage)
        guard let raw = request.pathParameters["id"], raw.utf8.count == 36, let id = UUID(uuidString: raw),
              try await store.revokeAPIKey(id: id) else {
            throw ClienteleError(.notFound, "API key not found or already revoked")
        }
        verifiedKeys.invalidate(keyId: id)
        return .json(status: .ok, object: ["success": true])
    }
}
