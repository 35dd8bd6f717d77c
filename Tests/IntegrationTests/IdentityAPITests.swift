import Foundation
import HTTP
import Identity
import Postgres
import TestSupport
import XCTest

/// Staff login and the identity routes through the real gateway (`ClienteleStack`): the
/// bootstrap super-admin, login by cookie and by bearer, me, logout revoking the token,
/// throttling, and who may call `/api/companies` and `/api/users`.
final class IdentityAPITests: XCTestCase {
    static let adminEmail = "root@clientele.test"
    static let adminPassword = "bootstrap-password-\(UUID().uuidString)"
    private static let holder = SharedStack("identityapi", gatewayEnvironment: [
        "ADMIN_EMAIL": adminEmail, "ADMIN_PASSWORD": adminPassword,
        "LOGIN_MAX_FAILURES": "3", "LOGIN_MAX_FAILURES_PER_ACCOUNT": "6", "LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
        "LOGIN_FAILURE_WINDOW_SECONDS": "60", "TRUSTED_PROXIES": "127.0.0.1, ::1", "PASSWORD_HASH_THREADS": "1",
    ])

    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }
    }

    /// How a test presents a token: `Authorization: Bearer` (sessions and API keys alike), or
    /// the session cookie among other cookies.
    enum TokenHeader: CustomStringConvertible {
        case bearer(String)
        case cookie(String)

        var description: String {
            switch self {
            case .bearer: "bearer"
            case .cookie: "cookie"
            }
        }
    }

    private func call(_ method: HTTPMethod, _ path: String, as credential: TokenHeader? = nil, body: String? = nil,
                      headers extra: [(String, String)] = []) async throws -> Reply {
        try await Self.call(method, path, as: credential, body: body, headers: extra, through: http)
    }

    private static func call(_ method: HTTPMethod, _ path: String, as credential: TokenHeader? = nil, body: String? = nil,
                             headers extra: [(String, String)] = [], through http: HTTPClient) async throws -> Reply {
        let gateway = try await GatewayCaller(http: http, shared: Self.holder)
        var headers = HTTPHeaders()
        for (name, value) in extra { headers.add(name: name, value: value) }
        var bearer: Credential?
        switch credential {
        case .bearer(let token): bearer = .session(token)
        // Among other cookies: the gateway must pick `token` out of the header.
        case .cookie(let token): headers.add(name: "Cookie", value: "theme=dark; token=\(token)")
        case nil: break
        }
        let reply = try await gateway.call(method, path, as: bearer, body: body.map { Array($0.utf8) }, headers: headers)
        return Reply(status: reply.status, headers: reply.headers, body: reply.body)
    }

    private func json(_ object: [String: Any]) -> String { Self.json(object) }

    private static func json(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data(), as: UTF8.self)
    }

    private func login(_ email: String, _ password: String, from address: String? = nil) async throws -> Reply {
        try await Self.login(email, password, from: address, through: http)
    }

    private static func login(_ email: String, _ password: String, from address: String?,
                              through http: HTTPClient) async throws -> Reply {
        try await call(.POST, "/api/auth/login", body: json(["email": email, "password": password]),
                       headers: address.map { [("X-Forwarded-For", $0)] } ?? [], through: http)
    }

    /// A client for many requests at once, each on its own connection, never retried.
    private func parallelClient() -> HTTPClient {
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(120), maxConnectionsPerHost: 256,
                                                                       retries: 0))
        addTeardownBlock { client.shutdown() }
        return client
    }

    /// `count` copies of `request` at once; their answers.
    private func concurrently(_ count: Int, _ request: @escaping @Sendable (Int) async throws -> Reply) async throws -> [Reply] {
        try await withThrowingTaskGroup(of: Reply.self) { group in
            for index in 0..<count { group.addTask { try await request(index) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// The value of one series on the gateway's /metrics (`name{labels}`); nil when absent.
    private func metric(_ series: String) async throws -> Double? {
        let stack = try await Self.holder.stack()
        return try await MetricsScrape.read(stack.gateway, of: stack, http: http).value(series)
    }

    /// Password hashes the gateway has started (`clientele_password_hashes_total`); nil when
    /// it does not count them.
    private func passwordHashes() async throws -> Double? {
        try await metric("clientele_password_hashes_total")
    }

    /// Hashes started since `before` (a `passwordHashes()` reading); fails without a count.
    private func hashes(since before: Double?, file: StaticString = #filePath, line: UInt = #line) async throws -> Double {
        let now = try await passwordHashes()
        return try XCTUnwrap(now, "no password-hash count", file: file, line: line) - XCTUnwrap(before, file: file, line: line)
    }

    /// A random documentation address (RFC 5737) to send logins from, through the trusted proxy.
    private func address() -> String { "198.51.100.\(Int.random(in: 1...254))" }

    /// Creates a staff user with the super-admin's token; its id.
    private func createUser(_ email: String, _ password: String, roles: [String] = ["sales"], companies: [String]? = nil,
                            as root: String) async throws -> String {
        var fields: [String: Any] = ["email": email, "name": "Someone", "password": password, "roles": roles]
        if let companies { fields["companies"] = companies }
        let reply = try await call(.POST, "/api/users", as: .bearer(root), body: json(fields))
        XCTAssertEqual(reply.status, 201, "\(reply.json)")
        return try XCTUnwrap(reply.data["id"] as? String)
    }

    /// Logs in and returns the token; fails the test unless the login succeeds.
    private func token(_ email: String, _ password: String, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let reply = try await login(email, password)
        XCTAssertEqual(reply.status, 200, "\(reply.json)", file: file, line: line)
        return try XCTUnwrap(reply.json["token"] as? String, file: file, line: line)
    }

    // MARK: Sessions

    func testBootstrapAdminLogsInByCookieAndByBearer() async throws {
        let reply = try await login(Self.adminEmail.uppercased(), Self.adminPassword)
        XCTAssertEqual(reply.status, 200, "\(reply.json)")
        let token = try XCTUnwrap(reply.json["token"] as? String)
        XCTAssertEqual(token.split(separator: ".").count, 3)
        let user = try XCTUnwrap(reply.json["user"] as? [String: Any])
        XCTAssertEqual(user["email"] as? String, Self.adminEmail)
        XCTAssertEqual(user["roles"] as? [String], ["super-admin"])
        XCTAssertNil(user["password"])
        XCTAssertFalse(String(decoding: reply.body, as: UTF8.self).contains(Self.adminPassword))
        let cookie = try XCTUnwrap(reply.headers["Set-Cookie"])
        XCTAssertTrue(cookie.hasPrefix("token=\(token);"), cookie)
        XCTAssertTrue(cookie.contains("HttpOnly"), cookie)
        XCTAssertTrue(cookie.contains("SameSite=Lax"), cookie)
        XCTAssertTrue(cookie.contains("Path=/"), cookie)
        XCTAssertFalse(cookie.contains("Secure"), "the test stack runs plain http with SESSION_COOKIE_SECURE=false")
        XCTAssertEqual(reply.headers["Cache-Control"], "no-store")

        for credential in [TokenHeader.cookie(token), .bearer(token)] {
            let me = try await call(.GET, "/api/auth/me", as: credential)
            XCTAssertEqual(me.status, 200, "\(credential): \(me.json)")
            let caller = try XCTUnwrap(me.json["user"] as? [String: Any])
            XCTAssertEqual(caller["id"] as? String, user["id"] as? String)
            XCTAssertEqual(caller["email"] as? String, Self.adminEmail)
            XCTAssertEqual(caller["name"] as? String, "Administrator")
            XCTAssertEqual(caller["roles"] as? [String], ["super-admin"])
            XCTAssertEqual(caller["companies"] as? [String], [])
            XCTAssertTrue((caller["permissions"] as? [String] ?? []).contains("companies.manage"))
        }
        let anonymous = try await call(.GET, "/api/auth/me")
        XCTAssertEqual(anonymous.status, 401)
        var tampered = Array(token)
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        let forged = try await call(.GET, "/api/auth/me", as: .bearer(String(tampered)))
        XCTAssertEqual(forged.status, 401)
        let apiKeyShaped = try await call(.GET, "/api/auth/me", as: .bearer("ba_" + String(repeating: "a", count: 43)))
        XCTAssertEqual(apiKeyShaped.status, 401)
    }

    func testLogoutRevokesTheTokenAndClearsTheCookie() async throws {
        let token = try await token(Self.adminEmail, Self.adminPassword)
        let other = try await self.token(Self.adminEmail, Self.adminPassword)
        let logout = try await call(.POST, "/api/auth/logout", as: .cookie(token))
        XCTAssertEqual(logout.status, 200, "\(logout.json)")
        let cleared = try XCTUnwrap(logout.headers["Set-Cookie"])
        XCTAssertTrue(cleared.hasPrefix("token=;") && cleared.contains("Max-Age=0"), cleared)
        for credential in [TokenHeader.cookie(token), .bearer(token)] {
            let me = try await call(.GET, "/api/auth/me", as: credential)
            XCTAssertEqual(me.status, 401, "a logged-out token is refused (\(credential))")
        }
        let again = try await call(.POST, "/api/auth/logout", as: .bearer(token))
        XCTAssertEqual(again.status, 401)
        let otherSession = try await call(.GET, "/api/auth/me", as: .bearer(other))
        XCTAssertEqual(otherSession.status, 200, "another session of the same user stays valid")
    }

    /// A new password ends every session the user had; so does a deactivation, and
    /// reactivating the user does not bring them back. A rename ends none.
    func testPasswordChangeAndDeactivationEndTheUsersSessions() async throws {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let company = try await call(.POST, "/api/companies", as: .bearer(root), body: json(["name": "Epoch \(suffix)"]))
        let companyId = try XCTUnwrap(company.data["id"] as? String)
        let email = "epoch-\(suffix)@clientele.test"
        let created = try await call(.POST, "/api/users", as: .bearer(root), body: json([
            "email": email, "name": "Epoch", "password": "first password here", "roles": ["sales"], "companies": [companyId],
        ]))
        XCTAssertEqual(created.status, 201, "\(created.json)")
        let id = try XCTUnwrap(created.data["id"] as? String)
        func me(_ token: String) async throws -> Int { try await call(.GET, "/api/auth/me", as: .bearer(token)).status }
        func change(_ fields: [String: Any]) async throws {
            let reply = try await call(.PUT, "/api/users/\(id)", as: .bearer(root), body: json(fields))
            XCTAssertEqual(reply.status, 200, "\(fields): \(reply.json)")
        }

        let first = try await token(email, "first password here")
        let second = try await token(email, "first password here")
        try await change(["name": "Renamed"])
        let afterRename = [try await me(first), try await me(second)]
        XCTAssertEqual(afterRename, [200, 200], "a rename ends no session")

        try await change(["password": "second password here"])
        let afterPassword = [try await me(first), try await me(second), try await me(root)]
        XCTAssertEqual(afterPassword, [401, 401, 200], "the user's sessions end, nobody else's")
        let oldPassword = try await login(email, "first password here")
        XCTAssertEqual(oldPassword.status, 401)
        let third = try await token(email, "second password here")
        let fresh = try await me(third)
        XCTAssertEqual(fresh, 200)

        try await change(["active": false])
        let whileInactive = try await me(third)
        XCTAssertEqual(whileInactive, 401)
        try await change(["active": true])
        let afterReactivation = try await me(third)
        XCTAssertEqual(afterReactivation, 401, "reactivation does not revive a session")
        let fourth = try await token(email, "second password here")
        let again = try await me(fourth)
        XCTAssertEqual(again, 200)
    }

    func testWrongEmailAndWrongPasswordAnswerAlike() async throws {
        let unknown = try await login("nobody-\(UUID().uuidString)@clientele.test", "whatever password")
        let wrong = try await login(Self.adminEmail, "whatever password")
        XCTAssertEqual(unknown.status, 401)
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(unknown.body, wrong.body)
        XCTAssertNil(unknown.headers["Set-Cookie"])

        let missing = try await call(.POST, "/api/auth/login", body: #"{"email": 5}"#)
        XCTAssertEqual(missing.status, 400)
        let fields = Set((missing.json["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
        XCTAssertEqual(fields, ["email", "password"])
        let notJSON = try await call(.POST, "/api/auth/login", body: "email=a&password=b")
        XCTAssertEqual(notJSON.status, 400)
    }

    func testRepeatedFailuresAreThrottledWithRetryAfter() async throws {
        let admin = try await token(Self.adminEmail, Self.adminPassword)
        let email = "throttled-\(UUID().uuidString.prefix(8))@clientele.test"
        let created = try await call(.POST, "/api/users", as: .bearer(admin), body: json([
            "email": email, "name": "Throttled", "password": "the right password", "roles": ["sales"],
        ]))
        XCTAssertEqual(created.status, 201, "\(created.json)")
        for attempt in 1...3 {
            let reply = try await login(email, "a wrong password \(attempt)")
            XCTAssertEqual(reply.status, 401, "attempt \(attempt)")
        }
        let locked = try await login(email, "the right password")
        XCTAssertEqual(locked.status, 429, "locked even with the right password: \(locked.json)")
        let retryAfter = try XCTUnwrap(Int(locked.headers["Retry-After"] ?? ""))
        XCTAssertTrue((1...60).contains(retryAfter), "\(retryAfter)")
        let unaffected = try await login(Self.adminEmail, Self.adminPassword)
        XCTAssertEqual(unaffected.status, 200, "another account is not locked")
    }

    /// The tests' gateway trusts loopback as its proxy, so a failed login counts against the
    /// caller `X-Forwarded-For` names (the rightmost entry); an address the caller wrote in
    /// front of it is ignored, and without the header the peer is the caller.
    func testLoginFailuresCountAgainstTheForwardedCallerBehindATrustedProxy() async throws {
        let stack = try await Self.holder.stack()
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: stack.gatewayDatabase, poolSize: 1))
        func failures(_ address: String) async throws -> Int64 {
            let rows = try await pool.query("SELECT failures FROM login_failures WHERE key = $1", [LoginThrottle.addressKey(address)])
            return try rows.first?.decode(0, as: Int64.self) ?? 0
        }
        let caller = "203.0.113.\(Int.random(in: 1...254))"
        let spoofed = "198.51.100.\(Int.random(in: 1...254))"
        let loopback = try await failures("127.0.0.1")
        let wrong = json(["email": "nobody-\(UUID().uuidString.prefix(8))@clientele.test", "password": "wrong password"])
        for forwarded in [caller, "\(spoofed), \(caller)"] {
            let reply = try await call(.POST, "/api/auth/login", body: wrong, headers: [("X-Forwarded-For", forwarded)])
            XCTAssertEqual(reply.status, 401, forwarded)
        }
        let counts = [try await failures(caller), try await failures(spoofed), try await failures("127.0.0.1") - loopback]
        XCTAssertEqual(counts, [2, 0, 0], "caller, spoofed, proxy")
        let direct = try await call(.POST, "/api/auth/login", body: wrong)
        XCTAssertEqual(direct.status, 401)
        let afterDirect = try await failures("127.0.0.1") - loopback
        XCTAssertEqual(afterDirect, 1, "without the header the peer is the caller")
        await pool.close()
    }

    /// 200 wrong passwords for one account from one address at once: each attempt is counted
    /// before its hash, so the limit (3 here) are hashed and answered 401, the rest 429 with
    /// `Retry-After` at no hash's cost. An email no account can have (3,000 bytes) costs no
    /// hash at all and answers 401 like any wrong credentials, never a 500. (Base bbc6a7f:
    /// 200 × 401, 200 hashes; the long email 500 after a hash.)
    func testParallelWrongPasswordsForOneAccountHashAtMostTheLimit() async throws {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let email = "parallel-\(UUID().uuidString.prefix(8).lowercased())@clientele.test"
        _ = try await createUser(email, "the right password", as: root)
        let client = parallelClient()
        let from = address()
        let before = try await passwordHashes()
        let replies = try await concurrently(200) { index in
            try await Self.login(email, "wrong password \(index)", from: from, through: client)
        }
        let unauthorized = replies.filter { $0.status == 401 }.count
        let throttled = replies.filter { $0.status == 429 }
        XCTAssertLessThanOrEqual(unauthorized, 3, "\(replies.map(\.status))")
        XCTAssertEqual(throttled.count, 200 - unauthorized, "\(Set(replies.map(\.status)))")
        for reply in throttled {
            XCTAssertTrue((1...60).contains(Int(reply.headers["Retry-After"] ?? "") ?? 0), "\(reply.headers)")
        }

        // Random, so PostgreSQL cannot compress it under the B-tree entry limit.
        let longEmail = String((0..<3000).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! }) + "@clientele.test"
        let beforeLong = try await passwordHashes()
        for _ in 0..<10 {
            let reply = try await login(longEmail, "whatever password", from: address())
            XCTAssertEqual(reply.status, 401, "\(reply.json)")
        }
        let hashed = try XCTUnwrap(beforeLong, "no password-hash count") - XCTUnwrap(before)
        XCTAssertLessThanOrEqual(hashed, 3, "hashes for 200 attempts")
        XCTAssertEqual(hashed, Double(unauthorized), "one hash per admitted attempt, none for a refused one")
        let hashedLong = try await hashes(since: beforeLong)
        XCTAssertEqual(hashedLong, 0, "an email no account can have costs no hash")
    }

    /// Failures lock out only the addresses they come from: while other addresses hammer an
    /// account, its owner logs in from an address that has not failed. Past the account's
    /// own limit (6 here) the account is slowed: an address that has failed is refused, a
    /// fresh one gets a single try. (Base bbc6a7f: the owner gets 429.)
    func testTheOwnerLogsInWhileOtherAddressesHammerItsEmail() async throws {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let email = "owner-\(UUID().uuidString.prefix(8).lowercased())@clientele.test"
        _ = try await createUser(email, "the owner's password", as: root)
        let client = parallelClient()
        let attackers = (1...3).map { "203.0.113.\($0 * 10 + Int.random(in: 1...9))" }
        var failures: [Int] = []
        for attacker in attackers {
            let replies = try await concurrently(10) { index in
                try await Self.login(email, "guess \(index)", from: attacker, through: client)
            }
            failures.append(replies.filter { $0.status == 401 }.count)
            XCTAssertEqual(replies.filter { $0.status == 429 }.count, 10 - failures.last!, "\(attacker): \(replies.map(\.status))")
        }
        // 3 + 3 failures reach the account's limit; the third address's first try is past
        // it, so its others are refused.
        XCTAssertEqual(failures, [3, 3, 1])
        let owner = "192.0.2.\(Int.random(in: 1...254))"
        let ownerLogin = try await login(email, "the owner's password", from: owner)
        XCTAssertEqual(ownerLogin.status, 200, "the owner is locked out: \(ownerLogin.json)")

        let fresh = "203.0.113.\(200 + Int.random(in: 1...50))"
        let freshTries = [try await login(email, "guess A", from: fresh).status, try await login(email, "guess B", from: fresh).status]
        XCTAssertEqual(freshTries, [401, 429], "a slowed account gives a fresh address one try")
        let lockedOut = try await login(email, "the owner's password", from: attackers[0])
        XCTAssertEqual(lockedOut.status, 429, "an address that failed stays locked, even with the right password")
        let again = try await login(email, "the owner's password", from: owner)
        XCTAssertEqual(again.status, 200, "\(again.json)")
    }

    /// Password changes hash behind the same bounded queue as logins (1 running and 3
    /// waiting here): 40 at once from one user get a few 200s and 503s with `Retry-After`,
    /// and a refused change costs no hash. (Base bbc6a7f: 40 × 200, every hash run.)
    func testPasswordChangesBeyondTheHashSlotsAnswer503WithRetryAfter() async throws {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let id = try await createUser("changes-\(UUID().uuidString.prefix(8).lowercased())@clientele.test", "first password here",
                                      as: root)
        let client = parallelClient()
        let before = try await passwordHashes()
        let replies = try await concurrently(40) { index in
            try await Self.call(.PUT, "/api/users/\(id)", as: .bearer(root),
                                body: Self.json(["password": "new password number \(index)"]), through: client)
        }
        let changed = replies.filter { $0.status == 200 }.count
        let busy = replies.filter { $0.status == 503 }
        XCTAssertEqual(changed + busy.count, 40, "\(replies.map(\.status))")
        XCTAssertGreaterThan(changed, 0)
        XCTAssertGreaterThan(busy.count, 0, "every change was hashed at once")
        for reply in busy {
            XCTAssertEqual(reply.headers["Retry-After"], "1")
            XCTAssertEqual(reply.json["code"] as? String, "unavailable")
        }
        let hashed = try await hashes(since: before)
        XCTAssertEqual(hashed, Double(changed), "a refused change hashed nothing")
    }

    // MARK: Unknown API keys

    /// A well-formed key the database does not know is looked up once and then remembered;
    /// distinct unknown keys from one address count against its budget (20 a minute), past
    /// which it gets 429 with `Retry-After` and no lookup, while a live key from elsewhere is
    /// served. (Base bbc6a7f: every request a lookup, 25 × 401.)
    func testUnknownAPIKeysAreRememberedAndLimitedPerAddress() async throws {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let unknownLookups = #"clientele_api_key_lookups_total{result="unknown"}"#
        let before = try await metric(unknownLookups) ?? 0
        let repeated = APIKeySecret.generate()
        let patient = address()
        for _ in 0..<30 {
            let reply = try await call(.GET, "/api/v1/clients", as: .bearer(repeated), headers: [("X-Forwarded-For", patient)])
            XCTAssertEqual(reply.status, 401)
        }
        let afterRepeats = try await metric(unknownLookups) ?? 0
        XCTAssertEqual(afterRepeats - before, 1, "one lookup for 30 uses of one unknown key")

        let guesser = "192.0.2.\(Int.random(in: 1...254))"
        var statuses: [Int] = []
        for _ in 0..<25 {
            let reply = try await call(.GET, "/api/v1/clients", as: .bearer(APIKeySecret.generate()), headers: [("X-Forwarded-For", guesser)])
            statuses.append(reply.status)
            if reply.status == 429 {
                XCTAssertTrue((1...3).contains(Int(reply.headers["Retry-After"] ?? "") ?? 0), "\(reply.headers)")
                XCTAssertEqual(reply.json["code"] as? String, "resource_exhausted")
            }
        }
        XCTAssertEqual(Array(statuses.prefix(20)), Array(repeating: 401, count: 20))
        XCTAssertEqual(statuses.last, 429, "\(statuses)")

        let company = try await call(.POST, "/api/companies", as: .bearer(root), body: json(["name": "Unknown keys \(UUID().uuidString.prefix(8))"]))
        let issued = try await call(.POST, "/api/api-keys", as: .bearer(root),
                                    body: json(["companyId": try XCTUnwrap(company.data["id"] as? String), "permissions": ["clients:read"]]))
        let live = try XCTUnwrap(issued.data["key"] as? String)
        let served = try await call(.GET, "/api/v1/clients", as: .bearer(live), headers: [("X-Forwarded-For", patient)])
        XCTAssertEqual(served.status, 200, "\(served.json)")
    }

    /// Forty requests at once on a key the gateway has not looked up yet (as every time its
    /// cache entry expires) share one lookup: none is refused for the address's lookup budget.
    func testABurstOnOneKeyCostsOneLookup() async throws {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let company = try await call(.POST, "/api/companies", as: .bearer(root), body: json(["name": "Key burst \(UUID().uuidString.prefix(8))"]))
        let issued = try await call(.POST, "/api/api-keys", as: .bearer(root),
                                    body: json(["companyId": try XCTUnwrap(company.data["id"] as? String), "permissions": ["clients:read"]]))
        let key = try XCTUnwrap(issued.data["key"] as? String)
        let liveLookups = #"clientele_api_key_lookups_total{result="live"}"#
        let before = try await metric(liveLookups) ?? 0
        let busy = address()
        let clients = (0..<8).map { _ in HTTPClient(configuration: HTTPClientConfiguration(maxConnectionsPerHost: 8)) }
        defer { for client in clients { client.shutdown() } }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await Self.call(.GET, "/api/v1/clients", as: .bearer(key), headers: [("X-Forwarded-For", busy)],
                                        through: clients[index % clients.count]).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(statuses.filter { $0 != 200 }, [], "every request of the burst is served")
        let after = try await metric(liveLookups) ?? 0
        XCTAssertLessThan(after - before, 5, "the burst shared its lookups (\(after - before))")
    }

    // MARK: Companies and users by role

    func testCompaniesAndUsersRoutesAnswerPerRole() async throws {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        func company(_ name: String) async throws -> String {
            let reply = try await call(.POST, "/api/companies", as: .bearer(root), body: json(["name": name]))
            XCTAssertEqual(reply.status, 201, "\(reply.json)")
            return try XCTUnwrap(reply.data["id"] as? String)
        }
        let companyA = try await company("Alpha \(suffix)")
        let companyB = try await company("Beta \(suffix)")
        let duplicate = try await call(.POST, "/api/companies", as: .bearer(root), body: json(["name": "ALPHA \(suffix)"]))
        XCTAssertEqual(duplicate.status, 409)

        let password = "a shared test password"
        func user(_ name: String, _ role: String, _ companies: [String]) async throws -> (id: String, token: String) {
            let email = "\(name)-\(suffix)@clientele.test"
            let reply = try await call(.POST, "/api/users", as: .bearer(root), body: json([
                "email": email, "name": name, "password": password, "roles": [role], "companies": companies,
            ]))
            XCTAssertEqual(reply.status, 201, "\(reply.json)")
            XCTAssertEqual(Set(reply.data["companies"] as? [String] ?? []), Set(companies))
            return (try XCTUnwrap(reply.data["id"] as? String), try await token(email, password))
        }
        let adminA = try await user("admin-a", "admin", [companyA])
        let salesA = try await user("sales-a", "sales", [companyA])
        let adminB = try await user("admin-b", "admin", [companyB])
        let shared = try await user("shared", "sales", [companyA, companyB])
        let onlyA = try await user("only-a", "sales", [companyA])
        let rootMe = try await call(.GET, "/api/auth/me", as: .bearer(root))
        let rootId = (rootMe.json["user"] as? [String: Any])?["id"] as? String

        func newUser(_ role: String, _ companies: [String]) -> String {
            json(["email": "new-\(UUID().uuidString.prefix(8))@clientele.test", "name": "New", "password": password,
                  "roles": [role], "companies": companies])
        }
        let cases: [(String, TokenHeader?, HTTPMethod, String, String?, Int)] = [
            ("anonymous lists companies", nil, .GET, "/api/companies", nil, 401),
            ("anonymous creates a company", nil, .POST, "/api/companies", json(["name": "X \(suffix)"]), 401),
            ("anonymous lists users", nil, .GET, "/api/users", nil, 401),
            ("anonymous creates a user", nil, .POST, "/api/users", newUser("sales", [companyA]), 401),
            ("anonymous changes a user", nil, .PUT, "/api/users/\(salesA.id)", json(["name": "X"]), 401),
            ("super-admin lists companies", .bearer(root), .GET, "/api/companies", nil, 200),
            ("super-admin by cookie", .cookie(root), .GET, "/api/companies", nil, 200),
            ("admin lists companies", .bearer(adminA.token), .GET, "/api/companies", nil, 403),
            ("admin creates a company", .cookie(adminA.token), .POST, "/api/companies", json(["name": "Y \(suffix)"]), 403),
            ("sales lists companies", .bearer(salesA.token), .GET, "/api/companies", nil, 403),
            ("super-admin lists users", .bearer(root), .GET, "/api/users", nil, 200),
            ("admin lists users", .bearer(adminA.token), .GET, "/api/users", nil, 200),
            ("sales lists users", .bearer(salesA.token), .GET, "/api/users", nil, 403),
            ("sales creates a user", .bearer(salesA.token), .POST, "/api/users", newUser("sales", [companyA]), 403),
            ("admin creates a user in its company", .bearer(adminA.token), .POST, "/api/users", newUser("sales", [companyA]), 201),
            ("admin creates a user in another company", .bearer(adminA.token), .POST, "/api/users", newUser("sales", [companyB]), 403),
            ("admin creates a super-admin", .bearer(adminA.token), .POST, "/api/users", newUser("super-admin", [companyA]), 403),
            ("admin creates a user in no company", .bearer(adminA.token), .POST, "/api/users", newUser("sales", []), 400),
            ("super-admin creates an admin anywhere", .bearer(root), .POST, "/api/users", newUser("admin", [companyB]), 201),
            ("admin renames its user", .bearer(adminA.token), .PUT, "/api/users/\(salesA.id)", json(["name": "Renamed"]), 200),
            ("admin promotes to super-admin", .bearer(adminA.token), .PUT, "/api/users/\(salesA.id)", json(["roles": ["super-admin"]]), 403),
            ("admin moves its user to another company", .bearer(adminA.token), .PUT, "/api/users/\(salesA.id)",
             json(["companies": [companyB]]), 403),
            ("admin changes another company's user", .bearer(adminA.token), .PUT, "/api/users/\(adminB.id)", json(["name": "X"]), 404),
            // A user who also belongs to another company: an admin of one of its companies may
            // rename it and change its memberships there, but not its email, password, roles or
            // active state (with those it could log in as the user and act in the other company).
            ("admin changes the password of a user also in another company", .bearer(adminA.token), .PUT,
             "/api/users/\(shared.id)", json(["password": "taken over password"]), 403),
            ("admin changes the email of a user also in another company", .bearer(adminA.token), .PUT,
             "/api/users/\(shared.id)", json(["email": "taken-\(suffix)@clientele.test"]), 403),
            ("admin deactivates a user also in another company", .bearer(adminA.token), .PUT,
             "/api/users/\(shared.id)", json(["active": false]), 403),
            ("admin changes the roles of a user also in another company", .bearer(adminA.token), .PUT,
             "/api/users/\(shared.id)", json(["roles": ["finance"]]), 403),
            ("admin renames a user also in another company", .bearer(adminA.token), .PUT,
             "/api/users/\(shared.id)", json(["name": "Shared"]), 200),
            ("admin changes the password of a user only in its companies", .bearer(adminA.token), .PUT,
             "/api/users/\(onlyA.id)", json(["password": "a new password here"]), 200),
            ("super-admin changes the password of a user in two companies", .bearer(root), .PUT,
             "/api/users/\(shared.id)", json(["password": "a new password here"]), 200),
            ("admin changes the super-admin", .bearer(adminA.token), .PUT, "/api/users/\(rootId ?? "")", json(["name": "X"]), 404),
            ("sales changes a user", .bearer(salesA.token), .PUT, "/api/users/\(salesA.id)", json(["name": "X"]), 403),
            ("super-admin changes anyone", .bearer(root), .PUT, "/api/users/\(adminB.id)", json(["name": "Bea"]), 200),
            ("unknown user", .bearer(root), .PUT, "/api/users/\(UUID().uuidString)", json(["name": "X"]), 404),
        ]
        for (name, credential, method, path, body, expected) in cases {
            let reply = try await call(method, path, as: credential, body: body)
            XCTAssertEqual(reply.status, expected, "\(name): \(reply.json)")
        }

        // An admin sees only its companies' users.
        let listed = try await call(.GET, "/api/users", as: .bearer(adminA.token))
        let emails = (listed.json["data"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
        XCTAssertTrue(emails.contains("admin-a-\(suffix)@clientele.test"))
        XCTAssertTrue(emails.contains("sales-a-\(suffix)@clientele.test"))
        XCTAssertFalse(emails.contains("admin-b-\(suffix)@clientele.test"))
        XCTAssertFalse(emails.contains(Self.adminEmail))
        let everyone = try await call(.GET, "/api/users", as: .bearer(root))
        let allEmails = (everyone.json["data"] as? [[String: Any]] ?? []).compactMap { $0["email"] as? String }
        XCTAssertTrue(allEmails.contains("admin-b-\(suffix)@clientele.test"))
        XCTAssertTrue(allEmails.contains(Self.adminEmail))
        let companies = try await call(.GET, "/api/companies", as: .bearer(root))
        let ids = (companies.json["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertTrue(ids.contains(companyA) && ids.contains(companyB))

        // An admin's company list replaces only memberships in its own companies.
        let both = try await user("both", "finance", [companyA, companyB])
        let narrowed = try await call(.PUT, "/api/users/\(both.id)", as: .bearer(adminA.token), body: json(["companies": [companyA]]))
        XCTAssertEqual(narrowed.status, 200, "\(narrowed.json)")
        XCTAssertEqual(Set(narrowed.data["companies"] as? [String] ?? []), [companyA, companyB])
        let moved = try await call(.PUT, "/api/users/\(both.id)", as: .bearer(root), body: json(["companies": [companyA]]))
        XCTAssertEqual(moved.data["companies"] as? [String], [companyA], "a super-admin replaces them all")

        // A deactivated user's existing token stops working at once.
        let deactivated = try await call(.PUT, "/api/users/\(salesA.id)", as: .bearer(adminA.token), body: json(["active": false]))
        XCTAssertEqual(deactivated.status, 200, "\(deactivated.json)")
        let afterDeactivation = try await call(.GET, "/api/auth/me", as: .bearer(salesA.token))
        XCTAssertEqual(afterDeactivation.status, 401)

        // Bad bodies name every bad field.
        let bad = try await call(.POST, "/api/users", as: .bearer(root), body: #"{"email": 5, "roles": "admin", "extra": true}"#)
        XCTAssertEqual(bad.status, 400)
        let fields = Set((bad.json["details"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
        XCTAssertEqual(fields, ["email", "name", "password", "roles", "extra"])
        let badEmail = try await call(.POST, "/api/users", as: .bearer(root), body: newUser("sales", [companyA])
            .replacingOccurrences(of: "@clientele.test", with: ""))
        XCTAssertEqual(badEmail.status, 400)
        XCTAssertEqual((badEmail.json["details"] as? [[String: Any]])?.first?["field"] as? String, "email")
        let unknownRole = try await call(.POST, "/api/users", as: .bearer(root), body: newUser("emperor", [companyA]))
        XCTAssertEqual(unknownRole.status, 400)
        let blankCompany = try await call(.POST, "/api/companies", as: .bearer(root), body: json(["name": " "]))
        XCTAssertEqual(blankCompany.status, 400)
    }

    // MARK: API keys

    func testSuperAdminIssuesListsAndRevokesAPIKeys() async throws {
        let root = try await token(Self.adminEmail, Self.adminPassword)
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let company = try await call(.POST, "/api/companies", as: .bearer(root), body: json(["name": "Keys \(suffix)"]))
        let companyId = try XCTUnwrap(company.data["id"] as? String)
        let adminReply = try await call(.POST, "/api/users", as: .bearer(root), body: json([
            "email": "keys-admin-\(suffix)@clientele.test", "name": "Keys Admin", "password": "keys admin password",
            "roles": ["admin"], "companies": [companyId],
        ]))
        XCTAssertEqual(adminReply.status, 201)
        let admin = try await token("keys-admin-\(suffix)@clientele.test", "keys admin password")

        let anonymous = try await call(.GET, "/api/api-keys")
        XCTAssertEqual(anonymous.status, 401)
        let byAdmin = try await call(.POST, "/api/api-keys", as: .bearer(admin), body: json(["companyId": companyId]))
        XCTAssertEqual(byAdmin.status, 403, "admins lack api_keys.manage")
        let noCompany = try await call(.POST, "/api/api-keys", as: .bearer(root), body: json(["companyId": UUID().uuidString]))
        XCTAssertEqual(noCompany.status, 400)
        XCTAssertEqual((noCompany.json["details"] as? [[String: Any]])?.first?["field"] as? String, "companyId")
        let badPermission = try await call(.POST, "/api/api-keys", as: .bearer(root),
                                           body: json(["companyId": companyId, "permissions": ["clients:reed"]]))
        XCTAssertEqual(badPermission.status, 400)

        let issued = try await call(.POST, "/api/api-keys", as: .bearer(root),
                                    body: json(["companyId": companyId, "permissions": ["clients:read"]]))
        XCTAssertEqual(issued.status, 201, "\(issued.json)")
        let secret = try XCTUnwrap(issued.data["key"] as? String)
        let keyId = try XCTUnwrap(issued.data["id"] as? String)
        XCTAssertTrue(secret.hasPrefix("ba_") && secret.count == 46)
        XCTAssertEqual(issued.data["permissions"] as? [String], ["clients:read"])
        XCTAssertEqual(issued.data["prefix"] as? String, String(secret.prefix(11)))

        // The key works on the organization API (a write needs clients:write: 403, not 401).
        let write = try await call(.POST, "/api/v1/clients", as: .bearer(secret), body: json(["name": "Key Test"]))
        XCTAssertEqual(write.status, 403, "\(write.json)")

        let listed = try await call(.GET, "/api/api-keys?companyId=\(companyId)", as: .bearer(root))
        XCTAssertEqual(listed.status, 200)
        let keys = listed.json["data"] as? [[String: Any]] ?? []
        XCTAssertEqual(keys.compactMap { $0["id"] as? String }, [keyId])
        XCTAssertNil(keys.first?["key"], "a list never shows secrets")
        XCTAssertFalse(String(decoding: listed.body, as: UTF8.self).contains(String(secret.dropFirst(11))))
        let all = try await call(.GET, "/api/api-keys", as: .bearer(root))
        XCTAssertTrue((all.json["data"] as? [[String: Any]] ?? []).contains { $0["id"] as? String == keyId })

        let revoked = try await call(.DELETE, "/api/api-keys/\(keyId)", as: .bearer(root))
        XCTAssertEqual(revoked.status, 200, "\(revoked.json)")
        let afterRevoke = try await call(.POST, "/api/v1/clients", as: .bearer(secret), body: json(["name": "Key Test"]))
        XCTAssertEqual(afterRevoke.status, 401, "a revoked key is refused at once")
        let again = try await call(.DELETE, "/api/api-keys/\(keyId)", as: .bearer(root))
        XCTAssertEqual(again.status, 404)
        let relisted = try await call(.GET, "/api/api-keys?companyId=\(companyId)", as: .bearer(root))
        XCTAssertNotNil((relisted.json["data"] as? [[String: Any]])?.first?["revokedAt"] as? String, "the list shows when it was revoked")
        XCTAssertTrue(keys.first?["revokedAt"] is NSNull, "a live key's revokedAt is null")
    }

    // MARK: clientctl

    func testCreateAdminCommandMakesASuperAdminWhoCanLogIn() async throws {
        let stack = try await Self.holder.stack()
        let email = "ops-\(UUID().uuidString.prefix(8).lowercased())@clientele.test"
        let password = "operator password \(UUID().uuidString)"
        let output = try stack.clientctl(["create-admin", "--email", email, "--name", "Ops"], environment: ["ADMIN_PASSWORD": password])
        XCTAssertTrue(output.hasPrefix("super-admin "), output)
        XCTAssertFalse(output.contains(password))
        let reply = try await login(email, password)
        XCTAssertEqual(reply.status, 200, "\(reply.json)")
        XCTAssertEqual((reply.json["user"] as? [String: Any])?["roles"] as? [String], ["super-admin"])
        XCTAssertThrowsError(try stack.clientctl(["create-admin", "--email", email], environment: ["ADMIN_PASSWORD": password]),
                             "the email is taken")
        let gatewayLog = String(decoding: (try? Data(contentsOf: stack.gateway.process.logFile)) ?? Data(), as: UTF8.self)
        XCTAssertFalse(gatewayLog.contains(Self.adminPassword), "the bootstrap password is in the gateway's log")
        XCTAssertTrue(gatewayLog.contains("created the first super-admin"))
    }
}
