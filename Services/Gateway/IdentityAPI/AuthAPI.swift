import Errors
import Foundation
import HTTP
import Identity
import ServiceRuntime

/// Staff sessions: `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.
///
/// Login answers `{"token": jwt, "user": user}` and sets the same token as the `token`
/// cookie. A wrong email and a wrong password (or an inactive user) answer the same 401 after
/// the same password-hash work. Failures are counted per account and per client address
/// (`LoginThrottle`); once either is locked, logins answer 429 with `Retry-After` without
/// checking the password. Logout revokes the token's `jti` and clears the cookie.
struct AuthAPI: Sendable {
    let store: IdentityStore
    let authenticator: SessionAuthenticator
    let cookie: SessionCookie
    let accountThrottle: LoginThrottle
    let addressThrottle: LoginThrottle
    let trustedProxies: TrustedProxies

    init(store: IdentityStore, settings: SessionSettings, rateLimiter: RateLimiter?) {
        self.store = store
        self.authenticator = SessionAuthenticator(store: store, tokens: settings.tokens, rateLimiter: rateLimiter)
        self.cookie = settings.cookie
        self.accountThrottle = LoginThrottle(pool: store.pool, maxFailures: settings.maxFailuresPerAccount,
                                             window: settings.failureWindow)
        self.addressThrottle = LoginThrottle(pool: store.pool, maxFailures: settings.maxFailuresPerAddress,
                                             window: settings.failureWindow)
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
        let email = input.string("email", required: true)
        let password = input.string("password", required: true)
        try input.check()
        guard let email, let password else { throw Self.invalidCredentials }

        let accountKey = LoginThrottle.accountKey(email)
        let addressKey = LoginThrottle.addressKey(Self.clientAddress(request, trusting: trustedProxies))
        let waits = [try await accountThrottle.retryAfter([accountKey]), try await addressThrottle.retryAfter([addressKey])]
        if let wait = waits.compactMap({ $0 }).max() { throw LoginThrottled(retryAfter: wait) }

        guard let user = try await store.verifyCredentials(email: email, password: password) else {
            try await accountThrottle.recordFailure([accountKey])
            try await addressThrottle.recordFailure([addressKey])
            throw Self.invalidCredentials
        }
        try await accountThrottle.clear(accountKey)
        let tokens = authenticator.tokens
        let token = tokens.sign(SessionClaims(user: user, now: Date(), lifetime: tokens.lifetime))
        var response = HTTPResponse.json(status: .ok, object: ["token": .string(token), "user": IdentityView.user(user)])
        response.headers.add(name: "Set-Cookie", value: cookie.setting(token, maxAge: tokens.lifetime))
        return response
    }

    func logout(_ request: HTTPRequest) async throws -> HTTPResponse {
        let caller = try await authenticator.authenticate(request)
        if let jti = caller.claims.tokenId {
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

    /// The address the request came from: the TCP peer without its port (`1.2.3.4:5678` →
    /// `1.2.3.4`, `[::1]:5678` → `::1`), or, when that peer is one of `proxies`, the client
    /// its `X-Forwarded-For` names (`TrustedProxies.clientAddress`).
    static func clientAddress(_ request: HTTPRequest, trusting proxies: TrustedProxies) -> String {
        proxies.clientAddress(peer: peerAddress(request), forwardedFor: request.headers.values(for: "X-Forwarded-For"))
    }

    /// The TCP peer's address without its port.
    static func peerAddress(_ request: HTTPRequest) -> String {
        let address = request.remoteAddress
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        if let colon = address.lastIndex(of: ":") { return String(address[..<colon]) }
        return address
    }
}
