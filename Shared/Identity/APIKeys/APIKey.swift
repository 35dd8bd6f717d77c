import Foundation

/// An API key as stored: never the key itself, only what identifies and scopes it.
///
/// `prefix` is the key's first characters (`ba_` and eight more), enough for an operator to
/// recognise a key in a list, far too few to use it.
public struct APIKey: Sendable, Equatable {
    public var id: UUID
    public var companyId: UUID
    public var prefix: String
    public var permissions: Set<String>
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: UUID, companyId: UUID, prefix: String, permissions: Set<String>, createdAt: Date, revokedAt: Date?) {
        self.id = id
        self.companyId = companyId
        self.prefix = prefix
        self.permissions = permissions
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    /// Whether the key grants `permission`.
    public func allows(_ permission: String) -> Bool { permissions.contains(permission) }
}

/// A key just issued: the only time the secret exists outside its holder.
public struct IssuedAPIKey: Sendable {
    /// The secret to hand over (`ba_…`); shown once, never stored.
    public var secret: String
    public var key: APIKey
}
