import ClientDomain
import Foundation

/// A value that at most one live stream of a tenant may hold, such as an email.
///
/// The store keeps claims in `unique_claims` and changes them in the same transaction as
/// the events, so two concurrent writers cannot both take one value: the second gets a
/// conflict naming the claim's kind.
public struct UniqueClaim: Sendable, Hashable {
    public var kind: String
    /// The normalized value (emails lower-cased).
    public var value: String

    public init(kind: String, value: String) {
        self.kind = kind
        self.value = value
    }

    /// The claims a client with `profile` holds; none once deleted.
    public static func claims(of profile: ClientProfile?, deleted: Bool = false) -> Set<UniqueClaim> {
        guard let profile, !deleted else { return [] }
        var claims: Set<UniqueClaim> = []
        if let email = profile.email { claims.insert(UniqueClaim(kind: "email", value: email.lowercased())) }
        if let username = profile.username { claims.insert(UniqueClaim(kind: "username", value: username.lowercased())) }
        if let ndisNumber = profile.care?.ndisNumber { claims.insert(UniqueClaim(kind: "ndisNumber", value: ndisNumber)) }
        return claims
    }
}
