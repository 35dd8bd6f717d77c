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

    /// A user of its own company on one stack, with the super-admin's token to change it.
    struct World {
        var stack: ClienteleStack
        var gateway: GatewayCaller
        var root: String
        var userId: String
        var email: String
        var companyId: String
    }

    private func world(_ holder: SharedStack) async throws -> World {
        let stack = try await holder.stack()
        let gateway = GatewayCaller(http: http, stack: stack)
        let root = try await gateway.login(email: Self.adminEmail, password: Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let company = try await gateway.call(.POST, "/api/companies", as: .session(root), json: ["name": .string("Cache \(suffix)")])
        let companyId = try XCTUnwrap(company.json["data"]?.string("id"), company.excerpt)
        let email = "cache-\(suffix)@clientele.test"
        let created = try await gateway.call(.POST, "/api/users", as: .session(root), json: [
            "email": .string(email), "name": "Cached", "password": "first password here", "roles": ["sales"],
            "companies": [.string(companyId)],
        ])
        XCTAssertEqual(created.status, 201, created.excerpt)
        return World(stack: stack, gateway: gateway, root: root, userId: try XCTUnwrap(created.json["data"]?.string("id")), email: email,
                     companyId: companyId)
    }

    private func me(_ world: World, _ token: String) async throws -> GatewayReply {
        try await world.gateway.call(.GET, "/api/auth/me", as: .session(token))
    }

    private func change(_ world: World, _ fields: JSONValue, file: StaticString = #filePath, line: UInt = #line) async throws {
        let reply = try await world.gateway.call(.PUT, "/api/users/\(world.userId)", as: .session(world.root), json: fields)
        XCTAssertEqual(reply.status, 200, "\(jsonText(fields)): \(reply.excerpt)", file: file, line: line)
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
        let first = try await world.gateway.login(email: world.email, password: "first password here")
        let second = try await world.gateway.login(email: world.email, password: "first password here")
        let remembered = [try await me(world, first).status, try await me(world, second).status]
        XCTAssertEqual(remembered, [200, 200])
        let logout = try await world.gateway.call(.POST, "/api/auth/logout", as: .session(first))
        XCTAssertEqual(logout.status, 200)
        let after = [try await me(world, first).status, try await me(world, second).status]
        XCTAssertEqual(after, [401, 200], "the logged-out session ends, the other stays")
    }

    func testChangesOfTheUserThroughTheGatewayApplyToARememberedSessionAtOnce() async throws {
        let world = try await world(Self.cached)
        let session = try await world.gateway.login(email: world.email, password: "first password here")
        let before = try await me(world, session)
        XCTAssertEqual(before.status, 200)
        XCTAssertTrue((before.json["user"]?.array("permissions") ?? []).contains("clients.create"), before.excerpt)

        try await change(world, ["roles": ["finance"]])
        let afterRoles = try await me(world, session)
        XCTAssertEqual(afterRoles.json["user"]?["roles"], ["finance"])
        XCTAssertFalse((afterRoles.json["user"]?.array("permissions") ?? []).contains("clients.create"),
                       "a role taken away is gone at once: \(afterRoles.excerpt)")
        let workspace = "/v1/workspace/\(world.companyId)/clients"
        let listed = try await world.gateway.call(.GET, workspace, as: .session(session))
        XCTAssertEqual(listed.status, 200, listed.excerpt)

        let other = try await world.gateway.call(.POST, "/api/companies", as: .session(world.root),
                                                 json: ["name": .string("Cache other \(UUID().uuidString.prefix(8))")])
        let otherId = try XCTUnwrap(other.json["data"]?.string("id"))
        try await change(world, ["companies": [.string(otherId)]])
        let afterCompanies = try await me(world, session)
        XCTAssertEqual(afterCompanies.json["user"]?["companies"], [.string(otherId)])
        let formerWorkspace = try await world.gateway.call(.GET, workspace, as: .session(session))
        XCTAssertEqual(formerWorkspace.status, 404, "a company left is out of reach at once")

        try await change(world, ["password": "second password here"])
        let afterPassword = try await me(world, session)
        XCTAssertEqual(afterPassword.status, 401, "a new password ends the session at once")

        let next = try await world.gateway.login(email: world.email, password: "second password here")
        let remembered = try await me(world, next)
        XCTAssertEqual(remembered.status, 200)
        try await change(world, ["active": false])
        let afterDeactivation = try await me(world, next)
        XCTAssertEqual(afterDeactivation.status, 401, "a deactivation ends the session at once")
    }

    func testAChangeMadeOnlyInTheDatabaseWaitsForTheLifetimeUnlessTheCacheIsOff() async throws {
        let cachedWorld = try await world(Self.cached)
        let cachedSession = try await cachedWorld.gateway.login(email: cachedWorld.email, password: "first password here")
        let cachedBefore = try await me(cachedWorld, cachedSession)
        XCTAssertEqual(cachedBefore.status, 200)
        try await deactivateBehindTheGateway(cachedWorld)
        let cachedAfter = try await me(cachedWorld, cachedSession)
        XCTAssertEqual(cachedAfter.status, 200, "remembered for SESSION_CACHE_MS (60 s here): no database read")

        let uncachedWorld = try await world(Self.uncached)
        let uncachedSession = try await uncachedWorld.gateway.login(email: uncachedWorld.email, password: "first password here")
        let uncachedBefore = try await me(uncachedWorld, uncachedSession)
        XCTAssertEqual(uncachedBefore.status, 200)
        try await deactivateBehindTheGateway(uncachedWorld)
        let uncachedAfter = try await me(uncachedWorld, uncachedSession)
        XCTAssertEqual(uncachedAfter.status, 401, "SESSION_CACHE_MS=0 reads the database on every request")
    }
}
