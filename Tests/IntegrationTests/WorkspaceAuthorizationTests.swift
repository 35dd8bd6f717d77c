import Foundation
import HTTP
import Identity
import TestSupport
import XCTest

/// The workspace API's authorization, route by route: each of its five permissions missing in
/// turn (a role granting the other four) refuses exactly the routes that need it, with a 403
/// naming it, and no other route; a caller of another company gets the workspace's 404 on
/// every route; no credential is 401 on every route.
final class WorkspaceAuthorizationTests: XCTestCase {
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    static let permissions = [Permission.clientsCreate, Permission.clientsRead, Permission.clientsUpdate, Permission.clientsDelete,
                              Permission.customFieldsManage]

    /// Every route of the API: the permission it needs, and its answer when the caller has it.
    struct Route {
        var permission: String
        var method: HTTPMethod
        var path: String
        var body: JSONValue?
        var success: Int
    }

    /// Every route, on things made for `tag` (so each caller's successes leave the next caller's alone).
    func routes(_ world: WorkspaceWorld, tag: String) async throws -> [Route] {
        let targetClient = try await world.create(WorkspaceWorld.body("target-\(tag)"))
        let doomedClient = try await world.create(WorkspaceWorld.body("doomed-\(tag)"))
        let target = try XCTUnwrap(targetClient.string("id")), doomed = try XCTUnwrap(doomedClient.string("id"))
        for key in ["\(tag)_relabel", "\(tag)_drop"] {
            let made = try await world.call(.POST, world.customFields, json: ["fieldKey": .string(key), "label": "L", "type": "text"])
            XCTAssertEqual(made.status, 201, made.excerpt)
        }
        return [
            Route(permission: Permission.clientsCreate, method: .POST, path: world.clients, body: WorkspaceWorld.body("new-\(tag)"),
                  success: 201),
            Route(permission: Permission.clientsRead, method: .GET, path: world.clients, body: nil, success: 200),
            Route(permission: Permission.clientsRead, method: .GET, path: "\(world.clients)/\(target)", body: nil, success: 200),
            Route(permission: Permission.clientsRead, method: .GET, path: world.customFields, body: nil, success: 200),
            Route(permission: Permission.clientsUpdate, method: .PATCH, path: "\(world.clients)/\(target)", body: ["name": "Renamed"],
                  success: 200),
            Route(permission: Permission.clientsDelete, method: .DELETE, path: "\(world.clients)/\(doomed)", body: nil, success: 204),
            Route(permission: Permission.customFieldsManage, method: .POST, path: world.customFields,
                  body: ["fieldKey": .string("\(tag)_new"), "label": "New", "type": "number"], success: 201),
            Route(permission: Permission.customFieldsManage, method: .PATCH, path: "\(world.customFields)/\(tag)_relabel",
                  body: ["label": "Relabelled"], success: 200),
            Route(permission: Permission.customFieldsManage, method: .DELETE, path: "\(world.customFields)/\(tag)_drop", body: nil,
                  success: 204),
        ]
    }

    func testEachPermissionMissingInTurnRefusesExactlyItsRoutesNamingIt() async throws {
        var world = try await WorkspaceWorld.make(http: http)
        for (index, missing) in Self.permissions.enumerated() {
            let role = "workspace_without_" + missing.replacingOccurrences(of: ".", with: "_")
            try await WorkspaceWorld.addRole(role, permissions: Self.permissions.filter { $0 != missing })
            world.tokens[role] = try await WorkspaceWorld.signIn(newUserOf: role, company: world.faces.companyId, faces: world.faces)
            for route in try await routes(world, tag: "p\(index)") {
                let reply = try await world.call(route.method, route.path, as: role, json: route.body)
                let what = "without \(missing): \(route.method) \(route.path)"
                if route.permission == missing {
                    XCTAssertEqual(reply.status, 403, "\(what): \(reply.excerpt)")
                    XCTAssertTrue(reply.json.string("error")?.contains(missing) == true, "\(what): \(reply.excerpt)")
                } else {
                    XCTAssertEqual(reply.status, route.success, "\(what): \(reply.excerpt)")
                }
            }
        }
    }

    func testANonMemberGetsTheWorkspacesNotFoundAndNoCredentialIs401OnEveryRoute() async throws {
        let world = try await WorkspaceWorld.make(http: http)
        for route in try await routes(world, tag: "outside") {
            let outsider = try await world.call(route.method, route.path, as: "outsider", json: route.body)
            XCTAssertEqual(outsider.status, 404, "\(route.method) \(route.path): \(outsider.excerpt)")
            XCTAssertEqual(outsider.json.string("error"), "Workspace not found", "\(route.method) \(route.path)")
            let anonymous = try await world.call(route.method, route.path, as: "nobody", json: route.body)
            XCTAssertEqual(anonymous.status, 401, "\(route.method) \(route.path): \(anonymous.excerpt)")
        }
        // Nothing the refused calls asked for happened: the admin still sees every target and definition.
        let list = try await world.call(.GET, world.clients)
        XCTAssertEqual(list.json.array("clients").count, 2, list.excerpt)
        let definitions = try await world.call(.GET, world.customFields)
        XCTAssertEqual(definitions.json.array("customFields").compactMap { $0.string("fieldKey") }, ["outside_drop", "outside_relabel"])
    }
}
