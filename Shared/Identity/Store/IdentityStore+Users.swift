import Crypto
import Dispatch
import Errors
import Foundation
import JSON
import Postgres

extension IdentityStore {
    // MARK: Users

    /// Creates a user; `conflict` when the email (ignoring case) is taken, `invalidArgument`
    /// naming the field for a bad email, name, password, unknown role or company.
    ///
    /// The password is hashed (PBKDF2, `PBKDF2.recommendedIterations`) off Swift's cooperative
    /// threads; only the hash is stored.
    public func createUser(_ new: NewUser) async throws -> User {
        let email = try Self.validEmail(new.email)
        let name = try Self.validName(new.name)
        try Self.checkPassword(new.password)
        guard !new.roles.isEmpty else {
            throw ClienteleError(.invalidArgument, "A user needs at least one role", context: ["field": "roles"])
        }
        try await checkRolesExist(new.roles)
        try await checkCompaniesExist(new.companyIds)
        let hash = try await hashPassword(new.password)
        let id = UUID()
        do {
            try await pool.withTransaction { connection in
                try Self.insertUser(id: id, email: email, name: name, hash: hash, roles: new.roles,
                                    companyIds: new.companyIds, on: connection)
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw ClienteleError(.conflict, "A user with this email already exists", context: ["field": "email"])
        }
        guard let user = try await user(id: id) else { throw ClienteleError(.internal, "Internal server error") }
        return user
    }

    /// Changes user `id`; nil when there is no such user. Validation as in `createUser`.
    ///
    /// A new password or a deactivation moves the user's session epoch on, so every session
    /// issued before it ends (a reactivated user logs in again).
    public func updateUser(id: UUID, _ changes: UserChanges) async throws -> User? {
        let email = try changes.email.map(Self.validEmail)
        let name = try changes.name.map(Self.validName)
        if let password = changes.password { try Self.checkPassword(password) }
        if let roles = changes.roles {
            guard !roles.isEmpty else {
                throw ClienteleError(.invalidArgument, "A user needs at least one role", context: ["field": "roles"])
            }
            try await checkRolesExist(roles)
        }
        if let companyIds = changes.companyIds { try await checkCompaniesExist(companyIds) }
        var hash: String?
        if let password = changes.password { hash = try await hashPassword(password) }
        let newHash = hash
        let found: Bool
        do {
            found = try await pool.withTransaction { connection in
                let updated = try connection.execute("""
                    UPDATE users SET email = coalesce($2, email), name = coalesce($3, name),
                        password_hash = coalesce($4, password_hash), active = coalesce($5, active), updated_at = now(),
                        session_epoch = session_epoch + CASE WHEN $4::text IS NOT NULL OR $5::boolean = false THEN 1 ELSE 0 END
                    WHERE id = $1
                    """, [id, email, name, newHash, changes.active])
                guard updated == 1 else { return false }
                if let roles = changes.roles {
                    try connection.execute("DELETE FROM user_roles WHERE user_id = $1", [id])
                    for role in roles.sorted() {
                        try connection.execute("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", [id, role])
                    }
                }
                if let companyIds = changes.companyIds {
                    try connection.execute("DELETE FROM user_companies WHERE user_id = $1", [id])
                    for companyId in companyIds {
                        try connection.execute("INSERT INTO user_companies (user_id, company_id) VALUES ($1, $2)", [id, companyId])
                    }
                }
                return true
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw ClienteleError(.conflict, "A user with this email already exists", context: ["field": "email"])
        }
        return found ? try await user(id: id) : nil
    }

    public func user(id: UUID) async throws -> User? {
        let rows = try await pool.query("SELECT \(Self.userColumns) FROM users u WHERE u.id = $1", [id])
        return try rows.first.map(Self.user(from:))
    }

    /// The users among `numbers` that exist, by number.
    public func users(numbers: Set<Int64>) async throws -> [Int64: User] {
        guard !numbers.isEmpty else { return [:] }
        let rows = try await pool.query("SELECT \(Self.userColumns) FROM users u WHERE u.number = ANY (string_to_array($1, ',')::bigint[])",
                                        [numbers.map(String.init).joined(separator: ",")])
        return Dictionary(uniqueKeysWithValues: try rows.map(Self.user(from:)).map { ($0.number, $0) })
    }

    /// The names of the users among `ids` that exist, by id (one statement).
    public func userNames(ids: Set<UUID>) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await pool.query("SELECT id, name FROM users WHERE id = ANY (string_to_array($1, ',')::uuid[])",
                                        [ids.map { $0.lowercasedString }.joined(separator: ",")])
        return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode(0, as: UUID.self), try $0.decode(1, as: String.self)) })
    }

    /// The public numbers of the users among `ids` that exist, by id.
    public func userNumbers(ids: Set<UUID>) async throws -> [UUID: Int64] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await pool.query("SELECT id, number FROM users WHERE id = ANY (string_to_array($1, ',')::uuid[])",
                                        [ids.map { $0.lowercasedString }.joined(separator: ",")])
        return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode(0, as: UUID.self), try $0.decode(1, as: Int64.self)) })
    }

    /// Users ordered by number: all of them when `companyIds` is nil, else those belonging to
    /// at least one of `companyIds`.
    public func users(inAnyOf companyIds: Set<UUID>?) async throws -> [User] {
        let rows: PostgresRows
        if let companyIds {
            rows = try await pool.query("""
                SELECT \(Self.userColumns) FROM users u WHERE EXISTS (
                    SELECT 1 FROM user_companies c
                    WHERE c.user_id = u.id AND c.company_id::text = ANY (string_to_array($1, ',')))
                ORDER BY u.number
                """, [companyIds.map { $0.lowercasedString }.joined(separator: ",")])
        } else {
            rows = try await pool.query("SELECT \(Self.userColumns) FROM users u ORDER BY u.number")
        }
        return try rows.map(Self.user(from:))
    }

    /// The user whose email is `email` (ignoring case) and whose password is `password`,
    /// if active; nil otherwise.
    ///
    /// Takes the same time whether or not the email is known or the user active: an unknown
    /// email is checked against a dummy hash of the same cost, so timing does not reveal which
    /// addresses have accounts. Throws `PasswordHashQueueFull` when every hash slot is taken
    /// (then no password was checked).
    public func verifyCredentials(email: String, password: String) async throws -> User? {
        // No account has a longer email or password (nor a control character in its email):
        // such a check is answered at once, with no lookup and no hash.
        guard Self.couldBeCredentials(email: email, password: password) else { return nil }
        let rows = try await pool.query("""
            SELECT \(Self.userColumns), u.password_hash FROM users u WHERE lower(u.email) = lower($1)
            """, [email.trimmingCharacters(in: .whitespaces)])
        guard let row = rows.first, let hash = PasswordHash(encoded: try row.decode(10, as: String.self)) else {
            _ = try await verify(password: password, against: Self.dummyHash)
            return nil
        }
        let user = try Self.user(from: row)
        let matches = try await verify(password: password, against: hash)
        return matches && user.active ? user : nil
    }

    /// Whether `email` and `password` are within what any account can have: an email of at
    /// most `User.maxEmailLength` bytes without control characters, a password of at most
    /// `User.maxPasswordLength` bytes. Checked before any other work on a login, so an
    /// over-long value costs neither a lookup nor a hash (nor a throttle row too large to
    /// index).
    public static func couldBeCredentials(email: String, password: String) -> Bool {
        email.utf8.count <= User.maxEmailLength && password.utf8.count <= User.maxPasswordLength
            && !email.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    // MARK: Roles and permissions

    /// Every permission `roles` grant together, read from `role_permissions`.
    public func permissions(ofRoles roles: Set<String>) async throws -> Set<String> {
        guard !roles.isEmpty else { return [] }
        let rows = try await pool.query("""
            SELECT DISTINCT permission FROM role_permissions WHERE role = ANY (string_to_array($1, ','))
            """, [roles.sorted().joined(separator: ",")])
        return Set(try rows.map { try $0.decode(0, as: String.self) })
    }

    /// Every role, with the permissions it grants (read from `role_permissions`).
    public func rolePermissions() async throws -> [String: Set<String>] {
        let rows = try await pool.query("""
            SELECT r.name, p.permission FROM roles r LEFT JOIN role_permissions p ON p.role = r.name
            """)
        var mapping: [String: Set<String>] = [:]
        for row in rows {
            let role = try row.decode(0, as: String.self)
            mapping[role, default: []].formUnion([try row.decodeIfPresent(1, as: String.self)].compactMap { $0 })
        }
        return mapping
    }

    // MARK: Bootstrap

    /// Creates a super-admin with `email` and `password` unless one exists; returns it when
    /// created, nil when a super-admin was already there.
    ///
    /// Serialised by a transaction-scoped advisory lock, so gateways starting together create
    /// at most one.
    public func bootstrapSuperAdmin(email: String, password: String, name: String = "Administrator") async throws -> User? {
        guard try await !hasSuperAdmin() else { return nil }
        let email = try Self.validEmail(email)
        try Self.checkPassword(password)
        let hash = try await hashPassword(password)
        let id = UUID()
        let created = try await pool.withTransaction { connection in
            _ = try connection.query("SELECT pg_advisory_xact_lock(hashtext('clientele.identity.bootstrap-admin'))")
            let existing = try connection.query("SELECT 1 FROM user_roles WHERE role = $1 LIMIT 1", [Role.superAdmin])
            guard existing.isEmpty else { return false }
            try Self.insertUser(id: id, email: email, name: name, hash: hash, roles: [Role.superAdmin], companyIds: [],
                                on: connection)
            return true
        }
        return created ? try await user(id: id) : nil
    }

    /// Whether any user holds the super-admin role.
    public func hasSuperAdmin() async throws -> Bool {
        try await !pool.query("SELECT 1 FROM user_roles WHERE role = $1 LIMIT 1", [Role.superAdmin]).isEmpty
    }

    // MARK: Internals

    static let userColumns = """
        u.id, u.number, u.email, u.name, u.active, u.created_at, u.updated_at,
        coalesce((SELECT string_agg(r.role, ',') FROM user_roles r WHERE r.user_id = u.id), ''),
        coalesce((SELECT string_agg(c.company_id::text, ',') FROM user_companies c WHERE c.user_id = u.id), ''),
        u.session_epoch
        """

    /// How many columns `userColumns` selects (`user(from:)` reads them).
    static let userColumnCount = 10

    static func user(from row: PostgresRow) throws -> User {
        let roles = try row.decode(7, as: String.self).split(separator: ",").map(String.init)
        let companies = try row.decode(8, as: String.self).split(separator: ",").compactMap { UUID(uuidString: String($0)) }
        return User(id: try row.decode(0, as: UUID.self), number: try row.decode(1, as: Int64.self),
                    email: try row.decode(2, as: String.self), name: try row.decode(3, as: String.self),
                    active: try row.decode(4, as: Bool.self), roles: Set(roles), companyIds: Set(companies),
                    createdAt: try row.decode(5, as: Date.self), updatedAt: try row.decode(6, as: Date.self),
                    sessionEpoch: try row.decode(9, as: Int64.self))
    }

    static func insertUser(id: UUID, email: String, name: String, hash: String, roles: Set<String>, companyIds: Set<UUID>,
                           on connection: PostgresConnection) throws {
        try connection.execute("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)",
                               [id, email, name, hash])
        for role in roles.sorted() {
            try connection.execute("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", [id, role])
        }
        for companyId in companyIds {
            try connection.execute("INSERT INTO user_companies (user_id, company_id) VALUES ($1, $2)", [id, companyId])
        }
    }

    private func checkRolesExist(_ roles: Set<String>) async throws {
        let rows = try await pool.query("SELECT name FROM roles WHERE name = ANY (string_to_array($1, ','))",
                                        [roles.sorted().joined(separator: ",")])
        let known = Set(try rows.map { try $0.decode(0, as: String.self) })
        let unknown = roles.subtracting(known)
        guard unknown.isEmpty else {
            throw ClienteleError(.invalidArgument, "Unknown roles: \(unknown.sorted().joined(separator: ", "))",
                                 context: ["field": "roles"])
        }
    }

    private func checkCompaniesExist(_ companyIds: Set<UUID>) async throws {
        guard !companyIds.isEmpty else { return }
        let rows = try await pool.query("SELECT count(*) FROM companies WHERE id::text = ANY (string_to_array($1, ','))",
                                        [companyIds.map { $0.lowercasedString }.joined(separator: ",")])
        guard try rows[0].decode(0, as: Int64.self) == companyIds.count else {
            throw ClienteleError(.invalidArgument, "Unknown companies", context: ["field": "companies"])
        }
    }

    /// `email` trimmed, if it has the shape of an address; `invalidArgument` (field `email`)
    /// otherwise.
    public static func validEmail(_ email: String) throws -> String {
        let trimmed = email.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard trimmed.utf8.count <= User.maxEmailLength, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !trimmed.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else {
            throw ClienteleError(.invalidArgument, "Not an email address", context: ["field": "email"])
        }
        return trimmed
    }

    static func validName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= User.maxNameLength,
              !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ClienteleError(.invalidArgument, "A name must be 1 to \(User.maxNameLength) characters",
                                 context: ["field": "name"])
        }
        return trimmed
    }

    /// Throws `invalidArgument` (field `password`) unless `password` has an accepted length.
    public static func checkPassword(_ password: String) throws {
        // Code points, as the OpenAPI document's minLength counts them.
        guard password.unicodeScalars.count >= User.minPasswordLength, password.utf8.count <= User.maxPasswordLength else {
            throw ClienteleError(.invalidArgument,
                                 "A password must be \(User.minPasswordLength) to \(User.maxPasswordLength) characters",
                                 context: ["field": "password"])
        }
    }

    /// Computes the dummy hash unknown emails are checked against, so the first such login
    /// does not take longer than the others (call once at start).
    public static func prepareCredentialChecks() async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                _ = dummyHash
                continuation.resume()
            }
        }
    }

    /// A hash of a random password nobody knows, verified against when the email is unknown.
    static let dummyHash = PasswordHash.make(password: SecureRandom.token())

    /// `password`'s stored form, computed through `passwordHashes`: PBKDF2 at 600,000 rounds
    /// takes a few hundred milliseconds, which must neither hold one of the few cooperative
    /// threads nor pile up without bound. Throws `PasswordHashQueueFull` (503) when every slot
    /// is taken.
    public func hashPassword(_ password: String) async throws -> String {
        try await passwordHashes.run { PasswordHash.make(password: password).encoded }
    }

    /// Whether `password` matches `hash`, computed like `hashPassword`.
    func verify(password: String, against hash: PasswordHash) async throws -> Bool {
        try await passwordHashes.run { hash.verify(password) }
    }
}
