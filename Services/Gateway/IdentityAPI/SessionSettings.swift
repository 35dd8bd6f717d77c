import Errors
import Foundation
import HTTP
import Identity
import ServiceRuntime

/// The gateway's session and login settings, read from the environment at start.
///
/// `JWT_KEYS` (required; `kid:base64secret,...`, the first signs), `JWT_TTL_SECONDS` (3600),
/// `SESSION_COOKIE_SECURE` (true; false only for plain-http local stacks),
/// `LOGIN_MAX_FAILURES` (5 per account), `LOGIN_MAX_FAILURES_PER_ADDRESS` (50 per client
/// address), `LOGIN_FAILURE_WINDOW_SECONDS` (900) and `TRUSTED_PROXIES` (none: the proxies
/// whose `X-Forwarded-For` names the client address the per-address count keys by).
struct SessionSettings: Sendable {
    var tokens: SessionTokens
    var cookie: SessionCookie
    var maxFailuresPerAccount: Int
    var maxFailuresPerAddress: Int
    var failureWindow: Duration
    var trustedProxies: TrustedProxies

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
        maxFailuresPerAccount = try environment.int("LOGIN_MAX_FAILURES", default: 5, in: 1...1000)
        maxFailuresPerAddress = try environment.int("LOGIN_MAX_FAILURES_PER_ADDRESS", default: 50, in: 1...100_000)
        failureWindow = .seconds(try environment.int("LOGIN_FAILURE_WINDOW_SECONDS", default: 900, in: 1...86_400))
        do {
            trustedProxies = try TrustedProxies(parsing: environment.string("TRUSTED_PROXIES", default: ""))
        } catch {
            throw ConfigurationError(variable: "TRUSTED_PROXIES",
                                     problem: "\"\(error.entry)\" is not an IP address or CIDR network (e.g. 10.0.0.0/8, fd00::/8, 192.168.1.7)")
        }
    }
}
