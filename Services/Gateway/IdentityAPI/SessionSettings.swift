import Errors
import Foundation
import HTTP
import Identity
import ServiceRuntime

/// The gateway's session and login settings, read from the environment at start.
///
/// `JWT_KEYS` (required; `kid:base64secret,...`, the first signs), `JWT_TTL_SECONDS` (3600),
/// `SESSION_COOKIE_SECURE` (true; false only for plain-http local stacks),
/// the login throttle's limits (`LoginThrottle.Limits`): `LOGIN_MAX_FAILURES` (5 per account
/// and client address), `LOGIN_MAX_FAILURES_PER_ACCOUNT` (20 per account over every address,
/// past which it is slowed), `LOGIN_MAX_FAILURES_PER_ADDRESS` (50 per client address),
/// `LOGIN_FAILURE_WINDOW_SECONDS` (900), and `TRUSTED_PROXIES` (none: the proxies whose
/// `X-Forwarded-For` names the client address the throttle and the unknown-API-key budget
/// key by), `SESSION_CACHE_MS` (2000; 0–60000: how long a verified session is remembered,
/// `SessionAuthenticator`; 0 reads the database on every request).
struct SessionSettings: Sendable {
    var tokens: SessionTokens
    var cookie: SessionCookie
    var loginLimits: LoginThrottle.Limits
    var trustedProxies: TrustedProxies
    var sessionCacheLifetime: Duration

    init(environment: EnvironmentReader) throws {
        let text = try environment.secret("JWT_KEYS", minimumLength: 1)
        let keys: SessionKeys
        do {
            keys = try SessionKeys(parsing: text)
        } catch let error as ClienteleError {
            throw ConfigurationError(variable: "JWT_KEYS", problem: error.message)
        }
        let lifetime = try environment.int("JWT_TTL_SECONDS", default: 3600, in: 60...604_800)
        tokens = SessionTokens(keys: keys, lifetime: Int64(lifetime))
        cookie = SessionCookie(secure: try environment.bool("SESSION_COOKIE_SECURE", default: true))
        loginLimits = LoginThrottle.Limits(
            perAccountAndAddress: try environment.int("LOGIN_MAX_FAILURES", default: 5, in: 1...1000),
            perAccount: try environment.int("LOGIN_MAX_FAILURES_PER_ACCOUNT", default: 20, in: 1...100_000),
            perAddress: try environment.int("LOGIN_MAX_FAILURES_PER_ADDRESS", default: 50, in: 1...100_000),
            window: .seconds(try environment.int("LOGIN_FAILURE_WINDOW_SECONDS", default: 900, in: 1...86_400)))
        sessionCacheLifetime = .milliseconds(try environment.int("SESSION_CACHE_MS", default: 2000, in: 0...60_000))
        do {
            trustedProxies = try TrustedProxies(parsing: environment.string("TRUSTED_PROXIES", default: ""))
        } catch {
            throw ConfigurationError(variable: "TRUSTED_PROXIES",
                                     problem: "\"\(error.entry)\" is not an IP address or CIDR network (e.g. 10.0.0.0/8, fd00::/8, 192.168.1.7)")
        }
    }
}
