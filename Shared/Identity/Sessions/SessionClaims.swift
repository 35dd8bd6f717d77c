import Foundation
import JSON

/// What a session token states: who (`sub`), when issued and until when, its id for
/// revocation (`jti`), the user's session epoch (`epoch`), and the user's roles and
/// companies when it was issued.
///
/// Written and read as JSON by hand (`SessionClaims+JSON`): every request with a session
/// reads them (`JSONDecoder` instead: measured, docs/performance.md, design measurements).
///
/// Times are whole seconds since 1970 (JWT's NumericDate). `roles` and `companies` are for
/// the client's convenience; the gateway reads them from the database (remembered for at
/// most `SESSION_CACHE_MS`, forgotten at once on a change through that gateway), so a change
/// or deactivation applies to the session without a new token.
public struct SessionClaims: Sendable, Equatable {
    public var sub: String
    public var iat: Int64
    public var exp: Int64
    public var jti: String
    public var roles: [String]
    public var companies: [String]
    /// The user's `sessionEpoch` when the token was issued; the token is refused once the
    /// user's epoch has moved on. Absent from tokens issued before epochs existed (read as 0).
    public var epoch: Int64?

    public init(sub: String, iat: Int64, exp: Int64, jti: String, roles: [String], companies: [String], epoch: Int64? = nil) {
        self.epoch = epoch
        self.sub = sub
        self.iat = iat
        self.exp = exp
        self.jti = jti
        self.roles = roles
        self.companies = companies
    }

    /// Claims for `user`, valid for `lifetime` seconds from `now`, with a fresh `jti`.
    public init(user: User, now: Date, lifetime: Int64) {
        let issued = Int64(now.timeIntervalSince1970)
        self.init(sub: user.id.lowercasedString, iat: issued, exp: issued + lifetime,
                  jti: UUID().lowercasedString, roles: user.roles.sorted(),
                  companies: user.companyIds.map { $0.lowercasedString }.sorted(), epoch: user.sessionEpoch)
    }

    /// The user id `sub` names (`UUID(canonical:)`: read on every authenticated request, and
    /// `UUID(uuidString:)` runs `sscanf`, 2% of the gateway's CPU for a workspace GET).
    public var userId: UUID? { UUID(canonical: sub) }
    /// The token id as a UUID (what the revocation table keys by).
    public var tokenId: UUID? { UUID(canonical: jti) }
    public var expiresAt: Date { Date(timeIntervalSince1970: TimeInterval(exp)) }
}
