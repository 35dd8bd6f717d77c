import Foundation

/// What a session token's checks need from the database, read in one query
/// (`IdentityStore.sessionCheck(userId:jti:)`): the token's user, the permissions its roles
/// grant now, and whether the token was revoked.
public struct SessionCheck: Sendable, Equatable {
    public var user: User
    public var permissions: Set<String>
    public var isRevoked: Bool

    public init(user: User, permissions: Set<String>, isRevoked: Bool) {
        self.user = user
        self.permissions = permissions
        self.isRevoked = isRevoked
    }
}
