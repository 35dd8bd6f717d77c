import Errors
import Foundation
import HTTP
import Identity
import Postgres
import XCTest
@testable import Gateway

/// What a remembered session still checks, and what forgets it. The store's database is
/// unreachable here, so a request the cache does not answer fails with the database's error
/// (not `unauthenticated`): that tells a remembered answer from a lookup.
final class SessionAuthenticatorTests: XCTestCase {
    private let tokens = SessionTokens(keys: SessionKeys(signing: .init(id: "k1", secret: Array(repeating: 7, count: 32))),
                                       lifetime: 3600)

    private func authenticator(lifetime: Duration = .seconds(60)) -> SessionAuthenticator {
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: "postgresql://127.0.0.1:1/unused"))
        return SessionAuthenticator(store: IdentityStore(pool: pool), tokens: tokens, rateLimiter: nil, cacheLifetime: lifetime)
    }

    private func user(_ id: UUID = UUID()) -> User {
        User(id: id, number: 1, email: "a@example.com", name: "A", active: true, roles: [Role.sales], companyIds: [],
             createdAt: Date(), updatedAt: Date())
    }

    private func request(_ token: String) -> HTTPRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer " + token)
        return HTTPRequest(method: .GET, target: "/api/auth/me", headers: headers)
    }

    /// Signs a token for `user` and remembers it as verified; the token.
    private func remembered(_ user: User, by authenticator: SessionAuthenticator, issued: Date = Date()) throws -> String {
        let claims = SessionClaims(user: user, now: issued, lifetime: tokens.lifetime)
        let token = tokens.sign(claims)
        authenticator.verified.store(StaffCaller(user: user, permissions: ["clients.read"], claims: claims),
                                     for: SessionAuthenticator.cacheKey(token))
        return token
    }

    /// Whether `token` authenticates from the cache (true), is refused (false); a database
    /// lookup is an error here.
    private func answer(_ token: String, _ authenticator: SessionAuthenticator) async -> Bool? {
        do {
            _ = try await authenticator.authenticate(request(token))
            return true
        } catch let error as ClienteleError where error.code == .unauthenticated {
            return false
        } catch {
            return nil
        }
    }

    func testARememberedSessionIsAnsweredWithoutTheDatabase() async throws {
        let authenticator = authenticator()
        let user = user()
        let token = try remembered(user, by: authenticator)
        let caller = try await authenticator.authenticate(request(token))
        XCTAssertEqual(caller.user, user)
        XCTAssertEqual(caller.permissions, ["clients.read"])
    }

    func testTheTokenItselfIsCheckedOnEveryRequest() async throws {
        let authenticator = authenticator()
        let expired = try remembered(user(), by: authenticator, issued: Date().addingTimeInterval(-7200))
        let expiredAnswer = await answer(expired, authenticator)
        XCTAssertEqual(expiredAnswer, false, "an expired token is refused though its session is remembered")
        var forged = Array(try remembered(user(), by: authenticator))
        forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
        let forgedAnswer = await answer(String(forged), authenticator)
        XCTAssertEqual(forgedAnswer, false, "a token with a bad signature is refused though its jti is remembered")
    }

    func testForgettingASessionOrAUserSendsTheNextRequestToTheDatabase() async throws {
        let authenticator = authenticator()
        let user = user(), other = self.user()
        let first = try remembered(user, by: authenticator), second = try remembered(user, by: authenticator)
        let bystander = try remembered(other, by: authenticator)
        authenticator.forget(session: try XCTUnwrap(tokens.verify(first).tokenId))
        let afterLogout = [await answer(first, authenticator), await answer(second, authenticator)]
        XCTAssertEqual(afterLogout, [nil, true], "only the logged-out session is looked up again")
        authenticator.forgetSessions(ofUser: user.id)
        let afterChange = [await answer(second, authenticator), await answer(bystander, authenticator)]
        XCTAssertEqual(afterChange, [nil, true], "every session of the changed user, and nobody else's")
    }

    func testAZeroLifetimeLooksUpEveryRequest() async throws {
        let authenticator = authenticator(lifetime: .zero)
        let token = try remembered(user(), by: authenticator)
        let answer = await answer(token, authenticator)
        XCTAssertNil(answer, "SESSION_CACHE_MS=0 reads the database every time")
    }

    func testTheSessionCacheIsBounded() {
        XCTAssertEqual(authenticator().verified.capacity, SessionAuthenticator.cacheCapacity)
        XCTAssertEqual(SessionAuthenticator.cacheCapacity, 10_000)
    }
}
