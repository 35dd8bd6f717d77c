import Errors
import Foundation
import HTTP
import ServiceRuntime
import XCTest
@testable import Gateway

/// The per-principal limiter's state machine with the clock given by the test, its headers,
/// its configuration, and how a refusal reaches the response.
final class RateLimiterTests: XCTestCase {
    private let start = ContinuousClock.now

    private func limiter(_ requests: Int, per seconds: Int, capacity: Int = 100_000) -> RateLimiter {
        RateLimiter(policy: RateLimitPolicy(requests: requests, windowSeconds: seconds), capacity: capacity, origin: start)
    }

    private func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64((seconds * 1000).rounded())) }

    func testABurstOfTheLimitThenRefusalsUntilOneRequestHasRefilled() {
        let limiter = limiter(3, per: 60)
        let key = RateLimitPrincipal.apiKey(UUID())
        let admitted = (0..<3).map { _ in limiter.admit(key, at: at(0)) }
        XCTAssertEqual(admitted.map(\.allowed), [true, true, true])
        XCTAssertEqual(admitted.map(\.remaining), [2, 1, 0])
        XCTAssertEqual(admitted.map(\.resetSeconds), [20, 40, 60], "seconds until the whole budget is back")

        let refused = limiter.admit(key, at: at(0))
        XCTAssertFalse(refused.allowed)
        XCTAssertEqual(refused.remaining, 0)
        XCTAssertEqual(refused.retryAfterSeconds, 20, "one request refills every 60/3 seconds")
        XCTAssertEqual(refused.resetSeconds, 60)
        XCTAssertFalse(limiter.admit(key, at: at(19.5)).allowed)
        XCTAssertEqual(limiter.admit(key, at: at(19.5)).retryAfterSeconds, 1, "rounded up, never 0")

        let refilled = limiter.admit(key, at: at(20))
        XCTAssertTrue(refilled.allowed, "refusals cost nothing, so the refill is on time")
        XCTAssertEqual(refilled.remaining, 0)
        XCTAssertFalse(limiter.admit(key, at: at(20)).allowed)
    }

    func testAnIdlePrincipalGetsItsWholeBudgetBackAndNoMore() {
        let limiter = limiter(5, per: 10)
        let user = RateLimitPrincipal.user(UUID())
        for _ in 0..<5 { XCTAssertTrue(limiter.admit(user, at: at(0)).allowed) }
        XCTAssertFalse(limiter.admit(user, at: at(0)).allowed)
        let later = (0..<6).map { _ in limiter.admit(user, at: at(3600)) }
        XCTAssertEqual(later.map(\.allowed), [true, true, true, true, true, false], "a long pause banks one window, not more")
        XCTAssertEqual(later[0].remaining, 4)
    }

    func testASteadyRateAtTheLimitIsNeverRefused() {
        let limiter = limiter(600, per: 60)
        let key = RateLimitPrincipal.apiKey(UUID())
        for i in 0..<2000 {
            XCTAssertTrue(limiter.admit(key, at: at(Double(i) * 0.1)).allowed, "request \(i) at 10 per second")
        }
        XCTAssertEqual(limiter.admit(key, at: at(199.9)).remaining, 598, "steady use keeps the budget nearly whole")
    }

    func testPrincipalsHaveSeparateBudgets() {
        let limiter = limiter(1, per: 60)
        let id = UUID()
        XCTAssertTrue(limiter.admit(.apiKey(id), at: at(0)).allowed)
        XCTAssertFalse(limiter.admit(.apiKey(id), at: at(0)).allowed)
        XCTAssertTrue(limiter.admit(.apiKey(UUID()), at: at(0)).allowed, "another key of the same company")
        XCTAssertTrue(limiter.admit(.user(id), at: at(0)).allowed, "a user is never confused with a key of the same id")
    }

    func testMemoryIsBoundedAndFullBucketsAreDropped() {
        // 64 shards of one principal each.
        let limiter = limiter(2, per: 10, capacity: RateLimiter.shardCount)
        let principals = (0..<1000).map { _ in RateLimitPrincipal.apiKey(UUID()) }
        for principal in principals { XCTAssertTrue(limiter.admit(principal, at: at(0)).allowed) }
        XCTAssertLessThanOrEqual(limiter.trackedCount, RateLimiter.shardCount)

        // A tracked principal is still counted while the table is full of active ones...
        let tracked = principals.first { principal in
            limiter.admit(principal, at: at(1)).allowed && !limiter.admit(principal, at: at(1)).allowed
        }
        XCTAssertNotNil(tracked, "principals admitted while there was room keep their count")

        // ...and once their buckets are full again they make room for new principals.
        let later = (0..<200).map { _ in RateLimitPrincipal.apiKey(UUID()) }
        for principal in later { _ = limiter.admit(principal, at: at(100)) }
        XCTAssertLessThanOrEqual(limiter.trackedCount, RateLimiter.shardCount)
        let newlyTracked = later.filter { principal in
            limiter.admit(principal, at: at(100)).allowed && !limiter.admit(principal, at: at(100)).allowed
        }
        XCTAssertGreaterThan(newlyTracked.count, RateLimiter.shardCount / 2, "idle principals were evicted for new ones")
    }

    func testHeadersOfAnAdmittedAndARefusedRequest() {
        let limiter = limiter(2, per: 60)
        let key = RateLimitPrincipal.apiKey(UUID())
        var headers = HTTPHeaders()
        limiter.admit(key, at: at(0)).addHeaders(to: &headers)
        XCTAssertEqual(headers["RateLimit-Limit"], "2")
        XCTAssertEqual(headers["RateLimit-Remaining"], "1")
        XCTAssertEqual(headers["RateLimit-Reset"], "30")
        XCTAssertEqual(headers["RateLimit-Policy"], "2;w=60")
        XCTAssertNil(headers["Retry-After"])
        _ = limiter.admit(key, at: at(0))
        var refused = HTTPHeaders()
        limiter.admit(key, at: at(10)).addHeaders(to: &refused)
        XCTAssertEqual(refused["RateLimit-Remaining"], "0")
        XCTAssertEqual(refused["Retry-After"], "20")
        XCTAssertEqual(refused["RateLimit-Reset"], "50")
    }

    func testConfiguration() throws {
        XCTAssertEqual(try RateLimitPolicy.configured(by: EnvironmentReader([:])), RateLimitPolicy(requests: 600, windowSeconds: 60))
        XCTAssertEqual(try RateLimitPolicy.configured(by: EnvironmentReader(["RATE_LIMIT_REQUESTS": "5", "RATE_LIMIT_WINDOW_SECONDS": "1"])),
                       RateLimitPolicy(requests: 5, windowSeconds: 1))
        XCTAssertNil(try RateLimitPolicy.configured(by: EnvironmentReader(["RATE_LIMIT_REQUESTS": "0"])))
        XCTAssertNil(try RateLimitPolicy.configured(by: EnvironmentReader(["RATE_LIMIT_WINDOW_SECONDS": "0"])))
        for (name, value) in [("RATE_LIMIT_REQUESTS", "lots"), ("RATE_LIMIT_REQUESTS", "-1"), ("RATE_LIMIT_WINDOW_SECONDS", "86401")] {
            XCTAssertThrowsError(try RateLimitPolicy.configured(by: EnvironmentReader([name: value]))) { error in
                XCTAssertEqual((error as? ConfigurationError)?.variable, name)
            }
        }
    }

    /// A handler like the adapters': authenticate (here: enforce), render errors in the API's
    /// envelope; `RateLimitHeaders.wrap` around it, as `GatewayRoutes` installs it.
    func testARefusalIsA429InTheAPIsEnvelopeWithRetryAfterAndEveryAnswerHasTheHeaders() async throws {
        let limiter = limiter(1, per: 60)
        let key = RateLimitPrincipal.apiKey(UUID())
        let handler = RateLimitHeaders.wrap { _ in
            do {
                try limiter.enforce(key)
                throw ClienteleError(.notFound, "Client not found")
            } catch {
                return OrganizationClientView.error(error)
            }
        }
        let first = try await handler(HTTPRequest(method: .GET, target: "/x"))
        XCTAssertEqual(first.status.code, 404)
        XCTAssertEqual(first.headers["RateLimit-Remaining"], "0", "error answers after authentication carry the headers too")
        XCTAssertNil(first.headers["Retry-After"])

        let refused = try await handler(HTTPRequest(method: .GET, target: "/x"))
        XCTAssertEqual(refused.status.code, 429)
        XCTAssertEqual(refused.headers["Retry-After"], "60")
        XCTAssertEqual(refused.headers["RateLimit-Limit"], "1")
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(refused.body))
        XCTAssertEqual(body["code"], "resource_exhausted")
        XCTAssertEqual(body["error"], "Rate limit of 1 request per 60 seconds exceeded; retry in 60 seconds")

        let anonymous = try await RateLimitHeaders.wrap { _ in .json(status: .unauthorized, object: [:]) }(HTTPRequest(method: .GET, target: "/x"))
        XCTAssertNil(anonymous.headers["RateLimit-Limit"], "no principal, no headers")
    }
}

extension RateLimiterTests {
    func testARefundGivesOneRequestBack() {
        let limiter = limiter(3, per: 60)
        let address = RateLimitPrincipal.clientAddress("203.0.113.1")
        for _ in 0..<3 { XCTAssertTrue(limiter.admit(address, at: at(0)).allowed) }
        XCTAssertFalse(limiter.admit(address, at: at(0)).allowed)
        limiter.refund(address)
        XCTAssertTrue(limiter.admit(address, at: at(0)).allowed, "the refunded request is available again")
        XCTAssertFalse(limiter.admit(address, at: at(0)).allowed, "and only that one")
        limiter.refund(.clientAddress("203.0.113.2"))
        XCTAssertEqual(limiter.admit(.clientAddress("203.0.113.2"), at: at(0)).remaining, 2, "refunding an untracked principal changes nothing")
    }
}
