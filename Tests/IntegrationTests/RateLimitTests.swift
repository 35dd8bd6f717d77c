import Foundation
import HTTP
import TestSupport
import XCTest

/// Per-principal rate limits through the real gateway, with a budget of 3 requests per hour
/// so nothing refills during the test: a key or user past it gets 429 with `Retry-After` and
/// the `RateLimit-*` headers in its API's envelope, while another key of the same company, or
/// another user, is still served. Also `/openapi.json`, which needs no credential.
final class RateLimitTests: XCTestCase {
    /// A budget of 3 requests per hour.
    private static let holder = SharedStack("ratelimit", gatewayEnvironment: [
        "RATE_LIMIT_REQUESTS": "3", "RATE_LIMIT_WINDOW_SECONDS": "3600",
    ])
    private let http = HTTPClient(configuration: HTTPClientConfiguration())

    override func tearDown() {
        http.shutdown()
        super.tearDown()
    }

    private func call(_ method: HTTPMethod, _ path: String, as credential: Credential? = nil, body: String? = nil) async throws -> GatewayReply {
        let gateway = GatewayCaller(http: http, stack: try await Self.holder.stack())
        return try await gateway.call(method, path, as: credential, body: body.map { Array($0.utf8) })
    }

    /// Asserts the answer counts against a budget of 3 per hour with `remaining` left.
    private func assertBudget(_ reply: GatewayReply, remaining: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reply.headers["RateLimit-Limit"], "3", file: file, line: line)
        XCTAssertEqual(reply.headers["RateLimit-Remaining"], String(remaining), file: file, line: line)
        XCTAssertEqual(reply.headers["RateLimit-Policy"], "3;w=3600", file: file, line: line)
        let reset = Int(reply.headers["RateLimit-Reset"] ?? "") ?? -1
        XCTAssertTrue((1...3600).contains(reset), "RateLimit-Reset \(reset)", file: file, line: line)
    }

    /// Asserts a refusal: 429 in the organization/identity envelope with `Retry-After` (one
    /// request refills every 1200 s).
    private func assertRefused(_ reply: GatewayReply, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(reply.status, 429, reply.excerpt, file: file, line: line)
        assertBudget(reply, remaining: 0, file: file, line: line)
        let retryAfter = Int(reply.headers["Retry-After"] ?? "") ?? -1
        XCTAssertTrue((1...1200).contains(retryAfter), "Retry-After \(retryAfter)", file: file, line: line)
        XCTAssertEqual(reply.json.string("code"), "resource_exhausted", file: file, line: line)
        XCTAssertTrue((reply.json.string("error") ?? "").hasPrefix("Rate limit of 3 requests per 3600 seconds exceeded"),
                      reply.excerpt, file: file, line: line)
    }

    func testAnAPIKeyPastItsLimitIsRefusedWhileAnotherKeyOfItsCompanyIsServed() async throws {
        let stack = try await Self.holder.stack()
        let company = "Limited \(UUID().uuidString.prefix(8))"
        let first = try stack.createCompanyWithKey(company)
        let second = try stack.clientctl(["api-key", "issue", "--company", company])
        let secondKey = try XCTUnwrap(second.split(separator: "\n").last?.split(separator: " ").last.map(String.init))
        
        for remaining in [2, 1, 0] {
            let reply = try await call(.GET, "/api/v1/clients", as: .apiKey(first.secret))
            XCTAssertEqual(reply.status, 200, reply.excerpt)
            assertBudget(reply, remaining: remaining)
            XCTAssertNil(reply.headers["Retry-After"])
        }
        assertRefused(try await call(.GET, "/api/v1/clients", as: .apiKey(first.secret)))
        let write = try await call(.POST, "/api/v1/clients", as: .apiKey(first.secret), body: #"{"name":"Not Written"}"#)
        assertRefused(write)

        let other = try await call(.GET, "/api/v1/clients", as: .apiKey(secondKey))
        XCTAssertEqual(other.status, 200, "another key of the same company has its own budget: \(other.excerpt)")
        assertBudget(other, remaining: 2)

        let anonymous = try await call(.GET, "/api/v1/clients", as: .apiKey("ba_" + String(repeating: "x", count: 43)))
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertNil(anonymous.headers["RateLimit-Limit"], "an unauthenticated request counts against no one")
    }

    func testAUserPastItsLimitIsRefusedInEverySessionWhileAnotherUserIsServed() async throws {
        let stack = try await Self.holder.stack()
        var tokens: [String] = []
        for _ in 0..<2 {
            let email = "limited-\(UUID().uuidString.prefix(8).lowercased())@clientele.test"
            let password = "rate limited password \(UUID().uuidString)"
            _ = try stack.clientctl(["create-admin", "--email", email], environment: ["ADMIN_PASSWORD": password])
            let login = try await call(.POST, "/api/auth/login", body: #"{"email":"\#(email)","password":"\#(password)"}"#)
            XCTAssertEqual(login.status, 200, login.excerpt)
            XCTAssertNil(login.headers["RateLimit-Limit"], "login is throttled by failures, not by this budget")
            tokens.append(try XCTUnwrap(login.json.string("token")))
        }
        let bearer = Credential.session(tokens[0])
        let cookie = Credential.sessionCookie(tokens[0])

        for (remaining, credential) in [(2, bearer), (1, cookie), (0, bearer)] {
            let reply = try await call(.GET, "/api/auth/me", as: credential)
            XCTAssertEqual(reply.status, 200, reply.excerpt)
            assertBudget(reply, remaining: remaining)
        }
        let refused = try await call(.GET, "/api/auth/me", as: cookie)
        assertRefused(refused)
        XCTAssertEqual(refused.headers["Cache-Control"], "no-store", "still an identity answer")
        assertRefused(try await call(.GET, "/api/companies", as: bearer))

        let other = try await call(.GET, "/api/companies", as: .session(tokens[1]))
        XCTAssertEqual(other.status, 200, "another user has its own budget: \(other.excerpt)")
        assertBudget(other, remaining: 2)
    }

    func testTheOpenAPIDocumentIsServedWithoutACredential() async throws {
        let reply = try await call(.GET, "/openapi.json")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.headers["Content-Type"], "application/json")
        XCTAssertEqual(reply.json.string("openapi")?.hasPrefix("3.1."), true)
        XCTAssertNotNil(reply.json["paths"]?["/api/v1/clients/{id}"])
        XCTAssertNil(reply.headers["RateLimit-Limit"])
    }
}
