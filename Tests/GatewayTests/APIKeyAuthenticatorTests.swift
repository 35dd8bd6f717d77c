import Crypto
import Errors
import Foundation
import HTTP
import Identity
import Postgres
import ServiceRuntime
import XCTest
@testable import Gateway

/// What an API key that is not live costs: a digest remembered as unknown is refused
/// without a lookup, and an address past its budget of failed lookups is refused (429 with
/// `Retry-After`) without one. The store's database is unreachable here, so any lookup would
/// fail with an error rather than answer.
final class APIKeyAuthenticatorTests: XCTestCase {
    private func authenticator(cache: VerifiedAPIKeyCache = VerifiedAPIKeyCache()) throws -> APIKeyAuthenticator {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://127.0.0.1:1/unused"))
        return APIKeyAuthenticator(store: IdentityStore(pool: pool), cache: cache, rateLimiter: nil,
                                   trustedProxies: try TrustedProxies(parsing: "127.0.0.1"), metrics: MetricsRegistry())
    }

    private func request(_ secret: String, from address: String) -> HTTPRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer " + secret)
        headers.add(name: "X-Forwarded-For", value: address)
        return HTTPRequest(method: .GET, target: "/api/v1/clients", headers: headers, remoteAddress: "127.0.0.1:40000")
    }

    func testARememberedUnknownKeyIsRefusedWithoutALookup() async throws {
        let cache = VerifiedAPIKeyCache()
        let authenticator = try authenticator(cache: cache)
        let secret = APIKeySecret.generate()
        cache.rememberUnknown(digest: APIKeySecret.digest(secret))
        for _ in 0..<3 {
            do {
                _ = try await authenticator.authenticate(request(secret, from: "203.0.113.5"), requiring: APIKeyPermission.clientsRead)
                XCTFail("an unknown key was accepted")
            } catch let error as ClienteleError {
                XCTAssertEqual(error.code, .unauthenticated)
            }
        }
    }

    func testAnAddressPastItsBudgetIsRefusedWithoutALookupAndOthersAreNot() async throws {
        let authenticator = try authenticator()
        let policy = APIKeyAuthenticator.failedLookupPolicy
        for _ in 0..<policy.requests { _ = authenticator.failedLookups.admit(.clientAddress("203.0.113.6")) }
        do {
            _ = try await authenticator.authenticate(request(APIKeySecret.generate(), from: "203.0.113.6"), requiring: APIKeyPermission.clientsRead)
            XCTFail("a lookup past the budget was made")
        } catch let error as APIKeyAuthenticator.TooManyUnknownKeys {
            XCTAssertEqual(error.clienteleError.code, .resourceExhausted)
            XCTAssertTrue((1...policy.windowSeconds / policy.requests).contains(error.retryAfterSeconds), "\(error.retryAfterSeconds)")
        }
        // Another address reaches the (here unreachable) database.
        do {
            _ = try await authenticator.authenticate(request(APIKeySecret.generate(), from: "203.0.113.7"), requiring: APIKeyPermission.clientsRead)
            XCTFail("the unreachable database answered")
        } catch is APIKeyAuthenticator.TooManyUnknownKeys {
            XCTFail("another address was refused")
        } catch {}
        // A lookup that failed for the database's sake counted nothing.
        let next = authenticator.failedLookups.admit(.clientAddress("203.0.113.7"))
        XCTAssertEqual(next.remaining, policy.requests - 1)
    }

    /// Whichever API answers, an error advising a retry carries `Retry-After`.
    func testARetryAdvisingErrorGetsRetryAfterInEveryEnvelope() async throws {
        for render in [OrganizationClientView.error, LeadsClientView.error, IdentityView.error] as [@Sendable (any Error) -> HTTPResponse] {
            let handler = APIErrorRendering.wrap({ _ in throw APIKeyAuthenticator.TooManyUnknownKeys(retryAfterSeconds: 3) },
                                                 rendering: render)
            let refused = try await handler(HTTPRequest(method: .GET, target: "/x"))
            XCTAssertEqual(refused.status.code, 429)
            XCTAssertEqual(refused.headers["Retry-After"], "3")
            let busy = try await APIErrorRendering.wrap({ _ in throw PasswordHashQueueFull() }, rendering: render)(HTTPRequest(method: .GET, target: "/x"))
            XCTAssertEqual(busy.status.code, 503)
            XCTAssertEqual(busy.headers["Retry-After"], "1")
        }
    }

    func testUnknownDigestsExpireAndAreBounded() {
        let expiring = VerifiedAPIKeyCache(unknownLifetime: .zero)
        expiring.rememberUnknown(digest: APIKeySecret.digest(APIKeySecret.generate()))
        let digest = APIKeySecret.digest(APIKeySecret.generate())
        expiring.rememberUnknown(digest: digest)
        XCTAssertFalse(expiring.isUnknown(digest: digest), "past its lifetime a digest is looked up again")

        let small = VerifiedAPIKeyCache(unknownCapacity: 100)
        let digests = (0..<250).map { _ in APIKeySecret.digest(APIKeySecret.generate()) }
        for digest in digests {
            small.rememberUnknown(digest: digest)
            XCTAssertLessThanOrEqual(small.unknownCount, 100)
        }
        XCTAssertTrue(small.isUnknown(digest: digests[249]), "the newest is kept")
        XCTAssertFalse(small.isUnknown(digest: APIKeySecret.digest(APIKeySecret.generate())))
    }
}
