import Crypto
import Errors
import Foundation
import JSON
import Postgres

/// Companies, API keys, staff users and sessions in the gateway's PostgreSQL database
/// (`IdentitySchema`); users and sessions are in the `+Users` and `+Sessions` extensions.
///
/// Authentication reads the database on every call; the gateway keeps verified keys and
/// sessions for up to 2 s in front of it (`VerifiedAPIKeyCache`, `SessionAuthenticator`).
public struct IdentityStore: Sendable {
    public let pool: PostgresPool
    /// Where passwords are hashed and checked: a bounded queue, one per process.
    public let passwordHashes: PasswordHashQueue

    public init(pool: PostgresPool, passwordHashes: PasswordHashQueue = PasswordHashQueue()) {
        self.pool = pool
        self.passwordHashes = passwordHashes
    }

    // MARK: Companies

    /// Creates a company; `conflict` when one with the same name (ignoring case) exists.
    public func createCompany(name: String) async throws -> Company {
        let trimmed = try Self.companyName(name)
        do {
            let rows = try await pool.query("""
                INSERT INTO companies (id, name) VALUES ($1, $2) RETURNING \(Self.companyColumns)
                """, [UUID(), trimmed])
            return try Self.company(from: rows[0])
        } catch let error as PostgresError where error.isUniqueViolation {
            throw Self.companyNameTaken
        }
    }

    /// Changes company `id`'s name and/or time zone (nil: stays), in one statement; nil when
    /// there is no such company. `conflict` when another company has the name (ignoring case);
    /// `invalidArgument` naming the field for a bad name or a zone `CompanyTimeZone` does not
    /// know, before anything is written.
    public func updateCompany(id: UUID, name: String?, timeZone: String?) async throws -> Company? {
        let trimmed = try name.map(Self.companyName)
        if let timeZone, !CompanyTimeZone.isKnown(timeZone) { throw CompanyTimeZone.unknown }
        do {
            let rows = try await pool.query("""
                UPDATE companies SET name = coalesce($2, name), time_zone = coalesce($3, time_zone) WHERE id = $1
                RETURNING \(Self.companyColumns)
                """, [id, trimmed, timeZone])
            return try rows.first.map(Self.company(from:))
        } catch let error as PostgresError where error.isUniqueViolation {
            throw Self.companyNameTaken
        }
    }

    static let companyNameTaken = ClienteleError(.conflict, "A company with this name already exists", context: ["field": "name"])

    /// `name` trimmed of white space, if it is a company name: 1 to `Company.maxNameLength`
    /// characters without control characters.
    static func companyName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= Company.maxNameLength,
              !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ClienteleError(.invalidArgument, "A company name must be 1 to \(Company.maxNameLength) characters",
                                 context: ["field": "name"])
        }
        return trimmed
    }

    public func company(id: UUID) async throws -> Company? {
        let rows = try await pool.query("SELECT \(Self.companyColumns) FROM companies WHERE id = $1", [id])
        return try rows.first.map(Self.company(from:))
    }

    /// The company whose public number is `number`.
    public func company(number: Int64) async throws -> Company? {
        let rows = try await pool.query("SELECT \(Self.companyColumns) FROM companies WHERE number = $1", [number])
        return try rows.first.map(Self.company(from:))
    }

    /// The companies among `ids` that exist, by id.
    public func companies(ids: Set<UUID>) async throws -> [UUID: Company] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await pool.query("SELECT \(Self.companyColumns) FROM companies WHERE id = ANY (string_to_array($1, ',')::uuid[])",
                                        [ids.map { $0.lowercasedString }.joined(separator: ",")])
        return Dictionary(uniqueKeysWithValues: try rows.map(Self.company(from:)).map { ($0.id, $0) })
    }

    /// The company named `name`, ignoring case.
    public func company(named name: String) async throws -> Company? {
        let rows = try await pool.query("SELECT \(Self.companyColumns) FROM companies WHERE lower(name) = lower($1)",
                                        [name.trimmingCharacters(in: .whitespacesAndNewlines)])
        return try rows.first.map(Self.company(from:))
    }

    /// Every company, by number.
    public func companies() async throws -> [Company] {
        try await pool.query("SELECT \(Self.companyColumns) FROM companies ORDER BY number").map(Self.company(from:))
    }

    /// The company `reference` names: its UUID, else its name.
    public func company(reference: String) async throws -> Company? {
        if let id = UUID(uuidString: reference) { return try await company(id: id) }
        return try await company(named: reference)
    }

    // MARK: API keys

    /// Issues a key for `companyId` with `permissions` (each one of `APIKeyPermission.all`).
    /// The returned secret is the only copy: only its digest is stored.
    public func issueAPIKey(companyId: UUID, permissions: Set<String> = APIKeyPermission.defaults) async throws -> IssuedAPIKey {
        let unknown = permissions.subtracting(APIKeyPermission.all)
        guard unknown.isEmpty else {
            throw ClienteleError(.invalidArgument, "Unknown permissions: \(unknown.sorted().joined(separator: ", "))",
                                 context: ["field": "permissions"])
        }
        guard !permissions.isEmpty else {
            throw ClienteleError(.invalidArgument, "A key needs at least one permission", context: ["field": "permissions"])
        }
        guard try await company(id: companyId) != nil else { throw ClienteleError(.notFound, "Company not found") }
        let secret = APIKeySecret.generate()
        let permissionsJSON = try PostgresJSON(encoding: permissions.sorted())
        let rows = try await pool.query("""
            INSERT INTO api_keys (id, company_id, key_hash, prefix, permissions) VALUES ($1, $2, $3, $4, $5)
            RETURNING \(Self.keyColumns)
            """, [UUID(), companyId, APIKeySecret.digest(secret), APIKeySecret.displayPrefix(secret), permissionsJSON])
        return IssuedAPIKey(secret: secret, key: try Self.apiKey(from: rows[0]))
    }

    /// Revokes key `id`; false when there is no such live key. Effective for the next
    /// `authenticate(secret:)`; a gateway's key cache may serve the key up to 2 s longer.
    @discardableResult
    public func revokeAPIKey(id: UUID) async throws -> Bool {
        try await pool.execute("UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", [id]) == 1
    }

    /// The live key whose secret is `secret`; nil for a malformed, unknown or revoked one.
    ///
    /// The lookup goes by the digest's unique index; the stored digest is then compared with
    /// the computed one in constant time, so the answer never depends on how much of a
    /// guessed value matched.
    public func authenticate(secret: String) async throws -> APIKey? {
        guard APIKeySecret.isWellFormed(secret) else { return nil }
        let digest = APIKeySecret.digest(secret)
        let rows = try await pool.query("""
            SELECT \(Self.keyColumns), key_hash FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL
            """, [digest])
        guard let row = rows.first else { return nil }
        let stored = try row.decode(6, as: [UInt8].self)
        guard ConstantTime.equals(stored, digest) else { return nil }
        return try Self.apiKey(from: row)
    }

    /// Every key of `companyId`, newest first, revoked ones included.
    public func apiKeys(companyId: UUID) async throws -> [APIKey] {
        let rows = try await pool.query("SELECT \(Self.keyColumns) FROM api_keys WHERE company_id = $1 ORDER BY created_at DESC",
                                        [companyId])
        return try rows.map(Self.apiKey(from:))
    }

    /// Every key of every company, newest first, revoked ones included.
    public func allAPIKeys() async throws -> [APIKey] {
        try await pool.query("SELECT \(Self.keyColumns) FROM api_keys ORDER BY created_at DESC").map(Self.apiKey(from:))
    }

    static let companyColumns = "id, number, name, created_at, time_zone"
    static let keyColumns = "id, company_id, prefix, permissions, created_at, revoked_at"

    static func company(from row: PostgresRow) throws -> Company {
        Company(id: try row.decode(0, as: UUID.self), number: try row.decode(1, as: Int64.self),
                name: try row.decode(2, as: String.self), createdAt: try row.decode(3, as: Date.self),
                timeZone: try row.decode(4, as: String.self))
    }

    static func apiKey(from row: PostgresRow) throws -> APIKey {
        let permissions = try row.decode(3, as: PostgresJSON.self).decode([String].self)
        return APIKey(id: try row.decode(0, as: UUID.self), companyId: try row.decode(1, as: UUID.self),
                      prefix: try row.decode(2, as: String.self), permissions: Set(permissions),
                      createdAt: try row.decode(4, as: Date.self), revokedAt: try row.decodeIfPresent(5, as: Date.self))
    }
}
