import Errors
import Foundation
import HTTP
import Identity
import ServiceRuntime

/// Staff sessions: `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.
///
/// Login answers `{"token": jwt, "user": user}` and sets the same token as the `token`
/// cookie. A wrong email and a wrong password (or an inactive user) answer the same 401 after
/// the same password-hash work; an email or password no account can have (too long, a
/// control character in the email) answers that 401 before any other work. Each attempt is
/// counted by `LoginThrottle` before its password is hashed, per account and client address,
/// per address and per account: a refused one answers 429 with `Retry-After` without
/// checking the password. With every password-hash slot taken (`PasswordHashQueue`) a login
/// answers 503 with `Retry-After` and counts for nothing. Logout revokes the token's `jti` and
/// clears the cookie; through this gateway the token is refused at once, through another
/// gateway instance within its session cache's lifetime (`SessionAuthenticator`).
struct AuthAPI: Sendable {
    let store: IdentityStore
    let authenticator: SessionAuthenticator
    let cookie: SessionCookie
    let throttle: LoginThrottle
    let trustedProxies: TrustedProxies

    init(store: IdentityStore, settings: SessionSettings, rateLimiter: RateLimiter?) {
        self.store = store
        self.authenticator = SessionAuthenticator(store: store, tokens: settings.tokens, rateLimiter: rateLimiter,
                                                  cacheLifetime: settings.sessionCacheLifetime)
        self.cookie = settings.cookie
        self.throttle = LoginThrottle(pool: store.pool, limits: settings.loginLimits)
        self.trustedProxies = settings.trustedProxies
    }

    func register(on setup: ServiceSetup) {
        let options = RouteOptions(maxBodyBytes: IdentityInput.maxBodyBytes)
        setup.route(.POST, "/api/auth/login", options: options, IdentityView.rendering(login))
        setup.route(.POST, "/api/auth/logout", options: options, IdentityView.rendering(logout))
        setup.route(.GET, "/api/auth/me", IdentityView.rendering(me))
    }

    static let invalidCredentials = ClienteleError(.unauthenticated, "Invalid email or password")

    func login(_ request: HTTPRequest) async throws -> HTTPResponse {
        var input = try await IdentityInput.read(request, allowed: ["email", "password"])
        // Credentials, not text to store: an email no account can have is the same 401 as
        // a wrong one (below), never a 400 that would tell the two apart.
        let email = input.string("email", required: true, limited: false)
        let password = input.string("password", required: true, limited: false)
        try input.check()
        guard let email, let password, IdentityStore.couldBeCredentials(email: email, password: password) else {
            throw Self.invalidCredentials
        }

        let attempt: LoginThrottle.Attempt
        switch try await throttle.admit(email: email, address: request.clientAddress(trusting: trustedProxies)) {
        case .refused(let retryAfter): throw LoginThrottled(retryAfter: retryAfter)
        case .admitted(let admitted): attempt = admitted
        }
        let verified: User?
        do {
            verified = try await store.verifyCredentials(email: email, password: password)
        } catch {
            // No password was checked (no hash slot, or the database failed): the attempt
            // counts for nothing. The original error is the answer, whatever happens here.
            try? await throttle.abandoned(attempt)
            throw error
        }
        guard let user = verified else {
            try await throttle.failed(attempt)
            throw Self.invalidCredentials
        }
        try await throttle.succeeded(attempt)
        let tokens = authenticator.tokens
        let token = tokens.sign(SessionClaims(user: user, now: Date(), lifetime: tokens.lifetime))
        var response = HTTPResponse.json(status: .ok, object: ["token": .string(token), "user": IdentityView.user(user)])
        response.headers.add(name: "Set-Cookie", value: cookie.setting(token, maxAge: tokens.lifetime))
        return response
    }

    func logout(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        if let jti = caller.claims.tokenId {
            // Forgotten whatever the revocation's outcome: it may have committed.
            defer { authenticator.forget(session: jti) }
            try await store.revokeSession(jti: jti, expiresAt: caller.claims.expiresAt)
        }
        var response = HTTPResponse.json(status: .ok, object: ["success": true])
        response.headers.add(name: "Set-Cookie", value: cookie.clearing())
        return response
    }

    func me(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        var user = IdentityView.user(caller.user)
        if case .object(var object) = user {
            object["permissions"] = .array(caller.permissions.sorted().map(JSONValue.string))
            user = .object(object)
        }
        return .json(status: .ok, object: ["user": user])
    }
}
