import Foundation
import HTTP
import Identity
import Postgres
import TestSupport
import XCTest

/// A fresh company (a workspace) on `CompanyFaces`' stack, with a staff user of each seeded
/// role, a user whose role grants everything the workspace API asks but `clients.read`, and
/// an admin of another company.
struct WorkspaceWorld {
    let faces: CompanyFaces
    /// Session tokens by role: `admin`, `sales`, `finance`, `agent`, `unreading` (everything but
    /// clients.read), `outsider` (an admin of another company), `root` (the super-admin).
    var tokens: [String: String]
    let otherCompanyId: String

    var workspace: String { "/v1/workspace/\(faces.companyId)" }
    var clients: String { workspace + "/clients" }
    var customFields: String { workspace + "/custom-fields" }

    static let password = "a workspace test password"

    static func make(http: HTTPClient) async throws -> WorkspaceWorld {
        let faces = try await CompanyFaces.make(http: http)
        // A role as a migration would add one: every permission of the workspace API but clients.read.
        try await addRole("unreading", permissions: [Permission.clientsCreate, Permission.clientsUpdate, Permission.clientsDelete,
                                                     Permission.customFieldsManage])
        var tokens = ["admin": faces.admin, "root": faces.root]
        for role in ["sales", "finance", "agent", "unreading"] {
            tokens[role] = try await signIn(newUserOf: role, company: faces.companyId, faces: faces)
        }
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let other = try require(try await faces.gateway.call(.POST, "/api/companies", as: .session(faces.root),
                                                             json: ["name": .string("Other \(suffix)")]), "other company")
        guard case .string(let otherId)? = other["data"]?["id"] else { throw TestSupportError("no other company") }
        tokens["outsider"] = try await signIn(newUserOf: "admin", company: otherId, faces: faces)
        return WorkspaceWorld(faces: faces, tokens: tokens, otherCompanyId: otherId)
    }

    /// Adds the role `name` granting `permissions` (kept if it exists), as a migration would.
    static func addRole(_ name: String, permissions: [String]) async throws {
        let stack = try await CompanyFaces.stack.stack()
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.gatewayDatabase, poolSize: 1))
        do {
            try await pool.execute("INSERT INTO roles (name, description) VALUES ($1, 'A workspace test role') ON CONFLICT DO NOTHING",
                                   [name])
            for permission in permissions {
                try await pool.execute("INSERT INTO role_permissions (role, permission) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                       [name, permission])
            }
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }

    /// A session token of a new user with `role` in `company`.
    static func signIn(newUserOf role: String, company: String, faces: CompanyFaces) async throws -> String {
        let email = "\(role.replacingOccurrences(of: ".", with: "-"))-\(UUID().uuidString.prefix(8).lowercased())@workspace.test"
        _ = try require(try await faces.gateway.call(.POST, "/api/users", as: .session(faces.root), json: [
            "email": .string(email), "name": .string("\(role) user"), "password": .string(password), "roles": [.string(role)],
            "companies": [.string(company)],
        ]), "create \(role)")
        return try await faces.gateway.login(email: email, password: password)
    }

    private static func require(_ reply: GatewayReply, _ what: String) throws -> JSONValue {
        guard (200..<300).contains(reply.status) else { throw TestSupportError("\(what): \(reply.status) \(reply.text)") }
        return reply.json
    }

    /// A call as `role` (a key of `tokens`).
    func call(_ method: HTTPMethod, _ path: String, as role: String = "admin", json: JSONValue? = nil,
              headers: HTTPHeaders = [:]) async throws -> GatewayReply {
        try await call(method, path, as: role, body: json?.serialized(), headers: headers)
    }

    func call(_ method: HTTPMethod, _ path: String, as role: String = "admin", body: [UInt8]?,
              headers: HTTPHeaders = [:]) async throws -> GatewayReply {
        try await faces.gateway.call(method, path, as: tokens[role].map(Credential.session), body: body, headers: headers)
    }

    /// Creates a client from `body`; fails unless it answers 201. Its `client` object.
    func create(_ body: JSONValue, as role: String = "admin", file: StaticString = #filePath, line: UInt = #line) async throws -> JSONValue {
        let reply = try await call(.POST, clients, as: role, json: body)
        XCTAssertEqual(reply.status, 201, reply.excerpt, file: file, line: line)
        guard reply.status == 201, let client = reply.json["client"] else { throw TestSupportError("create: \(reply.status) \(reply.excerpt)") }
        return client
    }

    /// A valid create body: `name`, a preferred phone and an email, made unique by `tag`.
    static func body(_ tag: String, name: String? = nil) -> JSONValue {
        ["name": .string(name ?? "Client \(tag)"),
         "contactMethods": [["type": "phone", "value": .string("+1 555 000 \(abs(tag.hashValue) % 10_000)"), "isPreferred": true],
                            ["type": "email", "value": .string("\(tag)@example.com"), "isPreferred": false]]]
    }
}
