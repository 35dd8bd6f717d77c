import Foundation

/// A staff user: someone who logs in with an email and a password.
///
/// Never carries the password or its hash; the store reads the hash only to verify a login.
/// `roles` name rows of the `roles` table; what they permit is in `role_permissions`.
/// `companyIds` are the companies the user belongs to (a super-admin may belong to none and
/// still act in all of them through `companies.manage`).
public struct User: Sendable, Equatable {
    public var id: UUID
    public var number: Int64
    public var email: String
    public var name: String
    public var active: Bool
    public var roles: Set<String>
    public var companyIds: Set<UUID>
    public var createdAt: Date
    public var updatedAt: Date
    /// Which of the user's session generations is current: a password change or a
    /// deactivation moves it on, and a session token issued in an earlier one is refused.
    public var sessionEpoch: Int64

    public init(id: UUID, number: Int64, email: String, name: String, active: Bool, roles: Set<String>,
                companyIds: Set<UUID>, createdAt: Date, updatedAt: Date, sessionEpoch: Int64 = 0) {
        self.sessionEpoch = sessionEpoch
        self.id = id
        self.number = number
        self.email = email
        self.name = name
        self.active = active
        self.roles = roles
        self.companyIds = companyIds
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The longest accepted name, in characters.
    public static let maxNameLength = 200
    /// The longest accepted email address, in bytes (RFC 5321's path limit).
    public static let maxEmailLength = 254
    /// The shortest accepted password, in characters (code points).
    public static let minPasswordLength = 12
    /// The longest accepted password, in bytes; bounds the work one login can cause.
    public static let maxPasswordLength = 1024
}

/// A new user's fields, as an administrator gives them.
public struct NewUser: Sendable {
    public var email: String
    public var name: String
    public var password: String
    public var roles: Set<String>
    public var companyIds: Set<UUID>

    public init(email: String, name: String, password: String, roles: Set<String>, companyIds: Set<UUID>) {
        self.email = email
        self.name = name
        self.password = password
        self.roles = roles
        self.companyIds = companyIds
    }
}

/// Changes to a user; nil fields stay as they are.
public struct UserChanges: Sendable {
    public var email: String?
    public var name: String?
    public var password: String?
    public var active: Bool?
    public var roles: Set<String>?
    public var companyIds: Set<UUID>?

    public init(email: String? = nil, name: String? = nil, password: String? = nil, active: Bool? = nil,
                roles: Set<String>? = nil, companyIds: Set<UUID>? = nil) {
        self.email = email
        self.name = name
        self.password = password
        self.active = active
        self.roles = roles
        self.companyIds = companyIds
    }

    /// Whether the changes touch how the user logs in or what it may do: its email,
    /// password, roles or active state.
    public var altersAccess: Bool {
        email != nil || password != nil || roles != nil || active != nil
    }
}
