import Foundation
import HTTP
import Postgres
import TestSupport
import XCTest

/// The gateway's remembered staff sessions (`SESSION_CACHE_MS`), through the real gateway.
///
/// The cached stack remembers a session for 60 s, far longer than a test runs, so a change
/// seen at once was seen because the gateway forgot the session, not because it expired: a
/// logout, a password change, a deactivation, a role change and a company change made through
/// the gateway each apply to the next request. A change made only in the database (as another
/// gateway instance would make it) is not seen while remembered; with `SESSION_CACHE_MS=0` it
/// is seen at once.
final class SessionCacheTests: XCTestCase {
    static let adminEmail = "root@clientele.test"
    static let adminPassword = "bootstrap-password-\(UUID().uuidString)"
    private static let cached = SharedStack("sessioncache", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword, "SESSION_CACHE_MS": "60000",
    ])
    private static let uncached = SharedStack("sessionnocache", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword, "SESSION_CACHE_MS": "0",
    ])

    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    struct Reply {
        var status: Int
        var json: [String: Any]
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
        var user: [String: Any] { json["user"] as? [String: Any] ?? [:] }
    }

    /// A user of its own company on one stack, with the super-admin's token to change it.
    struct World {
        var stack: ClienteleStack
        var root: String
        var userId: String
        var email: String
        var companyId: String
    }

    private func call(_ stack: ClienteleStack, _ method: HTTPMethod, _ path: String, token: String? = nil,
                      body: [String: Any]? = nil) async throws -> Reply {
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        var bytes: [UInt8] = []
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
        }
        let response = try await http.execute(HTTPClientRequest(method: method, url: stack.gateway.baseURL + path,
                                                                headers: headers, body: bytes))
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return Reply(status: response.status.code, json: json)
    }

    private func token(_ stack: ClienteleStack, _ email: String, _ password: String,
                       file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let reply = try await call(stack, .POST, "/api/auth/login", body: ["email": email, "password": password])
        XCTAssertEqual(reply.status, 200, "\(reply.json)", file: file, line: line)
        return try XCTUnwrap(reply.json["token"] as? String, file: file, line: line)
    }

    private func world(_ holder: SharedStack) async throws -> World {
        let stack = try await holder.stack()
        let root = try await token(stack, Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let company = try await call(stack, .POST, "/api/companies", token: root, body: ["name": "Cache \(suffix)"])
        let companyId = try XCTUnwrap(company.data["id"] as? String, "\(company.json)")
        let email = "cache-\(suffix)@clientele.test"
        let created = try await call(stack, .POST, "/api/users", token: root, body: [
            "email": email, "name": "Cached", "password": "first password here", "roles": ["sales"], "companies": [companyId],
        ])
        XCTAssertEqual(created.status, 201, "\(created.json)")
        return World(stack: stack, root: root, userId: try XCTUnwrap(created.data["id"] as? String), email: email,
                     companyId: companyId)
    }

    private func me(_ world: World, _ token: String) async throws -> Reply {
        try await call(world.stack, .GET, "/api/auth/me", token: token)
    }

    private func change(_ world: World, _ fields: [String: Any], file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply = try await call(world.stack, .PUT, "/api/users/\(world.userId)", token: world.root, body: fields)
        XCTAssertEqual(reply.status, 200, "\(fields): \(reply.json)", file: file, line: line)
    }

    /// Deactivates the user in the database only, as another gateway instance would.
    private func deactivateBehindTheGateway(_ world: World) async throws {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: world.stack.gatewayDatabase, poolSize: 1))
        try await pool.execute("UPDATE users SET active = false, session_epoch = session_epoch + 1 WHERE id = $1::uuid",
                               [world.userId])
        await pool.close()
    }

    func testLogoutThroughTheGatewayEndsARememberedSessionAtOnce() async throws {
        let world = try await world(Self.cached)
        let first = try await token(world.stack, world.email, "first password here")
        let second = try await token(world.stack, world.email, "first password here")
        let remembered = [try await me(world, first).status, try await me(world, second).status]
        XCTAssertEqual(remembered, [200, 200])
        let logout = try await call(world.stack, .POST, "/api/auth/logout", token: first)
        XCTAssertEqual(logout.status, 200)
        let after = [try await me(world, first).status, try await me(world, second).status]
        XCTAssertEqual(after, [401, 200], "the logged-out session ends, the other stays")
    }

    func testChangesOfTheUserThroughTheGatewayApplyToARememberedSessionAtOnce() async throws {
        let world = try await world(Self.cached)
        let session = try await token(world.stack, world.email, "first password here")
        let before = try await me(world, session)
        XCTAssertEqual(before.status, 200)
        XCTAssertTrue((before.user["permissions"] as? [String] ?? []).contains("clients.create"), "\(before.json)")

        try await change(world, ["roles": ["finance"]])
        let afterRoles = try await me(world, session)
        XCTAssertEqual(afterRoles.user["roles"] as? [String], ["finance"])
        XCTAssertFalse((afterRoles.user["permissions"] as? [String] ?? []).contains("clients.create"),
                       "a role taken away is gone at once: \(afterRoles.json)")
        let workspace = "/v1/workspace/\(world.companyId)/clients"
        let listed = try await call(world.stack, .GET, workspace, token: session)
        XCTAssertEqual(listed.status, 200, "\(listed.json)")

        let other = try await call(world.stack, .POST, "/api/companies", token: world.root,
                                   body: ["name": "Cache other \(UUID().uuidString.prefix(8))"])
        let otherId = try XCTUnwrap(other.data["id"] as? String)
        try await change(world, ["companies": [otherId]])
        let afterCompanies = try await me(world, session)
        XCTAssertEqual(afterCompanies.user["companies"] as? [String], [otherId])
        let formerWorkspace = try await call(world.stack, .GET, workspace, token: session)
        XCTAssertEqual(formerWorkspace.status, 404, "a company left is out of reach at once")

        try await change(world, ["password": "second password here"])
        let afterPassword = try await me(world, session)
        XCTAssertEqual(afterPassword.status, 401, "a new password ends the session at once")

        let next = try await token(world.stack, world.email, "second password here")
        let remembered = try await me(world, next)
        XCTAssertEqual(remembered.status, 200)
        try await change(world, ["active": false])
        let afterDeactivation = try await me(world, next)
        XCTAssertEqual(afterDeactivation.status, 401, "a deactivation ends the session at once")
    }

    func testAChangeMadeOnlyInTheDatabaseWaitsForTheLifetimeUnlessTheCacheIsOff() async throws {
        let cachedWorld = try await world(Self.cached)
        let cachedSession = try await token(cachedWorld.stack, cachedWorld.email, "first password here")
        let cachedBefore = try await me(cachedWorld, cachedSession)
        XCTAssertEqual(cachedBefore.status, 200)
        try await deactivateBehindTheGateway(cachedWorld)
        let cachedAfter = try await me(cachedWorld, cachedSession)
        XCTAssertEqual(cachedAfter.status, 200, "remembered for SESSION_CACHE_MS (60 s here): no database read")

        let uncachedWorld = try await world(Self.uncached)
        let uncachedSession = try await token(uncachedWorld.stack, uncachedWorld.email, "first password here")
        let uncachedBefore = try await me(uncachedWorld, uncachedSession)
        XCTAssertEqual(uncachedBefore.status, 200)
        try await deactivateBehindTheGateway(uncachedWorld)
        let uncachedAfter = try await me(uncachedWorld, uncachedSession)
        XCTAssertEqual(uncachedAfter.status, 401, "SESSION_CACHE_MS=0 reads the database on every request")
    }
}
