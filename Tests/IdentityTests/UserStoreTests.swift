import Crypto
import Errors
import Foundation
import Identity
import Postgres
import TestSupport
import XCTest

/// Staff users, roles and their permissions, password verification, bootstrap, revoked
/// sessions and login throttling, against a real PostgreSQL.
final class UserStoreTests: XCTestCase {
    private func makeStore() async throws -> IdentityStore {
        let url = try PostgresServer.shared().createDatabase("users")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 4))
        addTeardownBlock { await pool.close() }
        _ = try await MigrationRunner(migrations: IdentitySchema.migrations).apply(on: pool)
        return IdentityStore(pool: pool)
    }

    private func assertInvalid(_ field: String, file: StaticString = #filePath, line: UInt = #line,
                               _ body: () async throws -> Void) async {
        do {
            try await body()
            XCTFail("accepted a bad \(field)", file: file, line: line)
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .invalidArgument, file: file, line: line)
            XCTAssertEqual(error.context["field"], field, file: file, line: line)
        } catch {
            XCTFail("\(error)", file: file, line: line)
        }
    }

    func testRolePermissionsAreSeededDataThatAMigrationCanExtend() async throws {
        let store = try await makeStore()
        let mapping = try await store.rolePermissions()
        XCTAssertEqual(Set(mapping.keys), [Role.superAdmin, Role.admin, Role.sales, Role.finance, Role.agent,
                                           Role.supportCoordinator, Role.planManager, Role.healthCarer])
        // The care API's permissions: admins hold all of them, and reach every care client.
        let care: Set<String> = [Permission.careRead, Permission.careWrite, Permission.careMedicalRead, Permission.careMedicalWrite,
                                 Permission.careExport, Permission.careAuditRead, Permission.careEveryClient]
        XCTAssertEqual(mapping[Role.superAdmin], care.union([Permission.clientsRead, Permission.clientsCreate, Permission.clientsUpdate,
                                                             Permission.clientsDelete, Permission.usersManage, Permission.companiesManage,
                                                             Permission.apiKeysManage, Permission.leadsRead, Permission.leadsWrite,
                                                             Permission.leadsReadAssigned, Permission.clientsAdmin, Permission.careDocuments,
                                                             Permission.customFieldsManage, Permission.clientsErase, Permission.clientsExport,
                                                             Permission.companiesSettings]))
        XCTAssertEqual(mapping[Role.admin], care.union([Permission.clientsRead, Permission.clientsCreate, Permission.clientsUpdate,
                                                        Permission.clientsDelete, Permission.usersManage, Permission.leadsRead,
                                                        Permission.leadsWrite, Permission.leadsReadAssigned, Permission.clientsAdmin,
                                                        Permission.careDocuments, Permission.customFieldsManage,
                                                        Permission.clientsErase, Permission.clientsExport,
                                                        Permission.companiesSettings]))
        // The care roles reach only the clients related to them (no care.every_client); a plan
        // manager sees no medical information.
        XCTAssertEqual(mapping[Role.supportCoordinator], [Permission.careRead, Permission.careWrite, Permission.careMedicalRead,
                                                          Permission.careDocuments])
        XCTAssertEqual(mapping[Role.planManager], [Permission.careRead, Permission.careDocuments])
        XCTAssertEqual(mapping[Role.healthCarer], [Permission.careRead, Permission.careMedicalRead, Permission.careDocuments])
        // The leads API's matrix: finance may write leads, an agent only reads its own.
        XCTAssertEqual(mapping[Role.finance], [Permission.clientsRead, Permission.leadsRead, Permission.leadsWrite])
        XCTAssertEqual(mapping[Role.sales], [Permission.clientsRead, Permission.clientsCreate, Permission.clientsUpdate,
                                             Permission.leadsRead, Permission.leadsWrite])
        // The workspace API's matrix: an agent reads clients, nothing more.
        XCTAssertEqual(mapping[Role.agent], [Permission.clientsRead, Permission.leadsReadAssigned])
        let union = try await store.permissions(ofRoles: [Role.sales, Role.agent])
        XCTAssertEqual(union, [Permission.clientsRead, Permission.clientsCreate, Permission.clientsUpdate, Permission.leadsRead,
                               Permission.leadsWrite, Permission.leadsReadAssigned])

        // A later migration adds a role and a permission as rows; no code changes.
        try await store.pool.execute("INSERT INTO permissions VALUES ('stats.read', 'Read statistics')")
        try await store.pool.execute("INSERT INTO roles VALUES ('analyst', 'Reads statistics')")
        try await store.pool.execute("INSERT INTO role_permissions VALUES ('analyst', 'stats.read'), ('analyst', 'clients.read')")
        let analyst = try await store.permissions(ofRoles: ["analyst"])
        XCTAssertEqual(analyst, ["stats.read", Permission.clientsRead])
        let company = try await store.createCompany(name: "Stats Co")
        let user = try await store.createUser(NewUser(email: "ana@stats.example", name: "Ana", password: "correct horse battery",
                                                      roles: ["analyst"], companyIds: [company.id]))
        XCTAssertEqual(user.roles, ["analyst"])
    }

    func testPasswordsVerifyAndAreStoredOnlyAsHashes() async throws {
        let store = try await makeStore()
        let company = try await store.createCompany(name: "Acme")
        let password = "correct horse battery staple"
        let user = try await store.createUser(NewUser(email: "  Jane.Doe@Example.com ", name: " Jane Doe ", password: password,
                                                      roles: [Role.admin, Role.sales], companyIds: [company.id]))
        XCTAssertEqual(user.email, "Jane.Doe@Example.com")
        XCTAssertEqual(user.name, "Jane Doe")
        XCTAssertEqual(user.roles, [Role.admin, Role.sales])
        XCTAssertEqual(user.companyIds, [company.id])
        XCTAssertTrue(user.active)

        let verified = try await store.verifyCredentials(email: "jane.doe@example.COM", password: password)
        XCTAssertEqual(verified, user, "email matches ignoring case")
        let wrongPassword = try await store.verifyCredentials(email: user.email, password: password + "!")
        XCTAssertNil(wrongPassword)
        let unknown = try await store.verifyCredentials(email: "nobody@example.com", password: password)
        XCTAssertNil(unknown)

        let rows = try await store.pool.query("SELECT password_hash, row_to_json(u)::text FROM users u")
        let stored = try XCTUnwrap(PasswordHash(encoded: try rows[0].decode(0, as: String.self)))
        XCTAssertEqual(stored.iterations, PBKDF2.recommendedIterations)
        XCTAssertTrue(stored.verify(password))
        XCTAssertFalse(try rows[0].decode(1, as: String.self).contains(password))

        do {
            _ = try await store.createUser(NewUser(email: "JANE.DOE@example.com", name: "Other", password: password,
                                                   roles: [Role.sales], companyIds: []))
            XCTFail("a second user with the same email was created")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .conflict)
        }
    }

    func testBadUserInputNamesTheField() async throws {
        let store = try await makeStore()
        let good = NewUser(email: "a@b.example", name: "A", password: "long enough password", roles: [Role.sales], companyIds: [])
        var new = good
        new.email = "not-an-email"
        await assertInvalid("email") { _ = try await store.createUser(new) }
        new = good
        new.name = "  "
        await assertInvalid("name") { _ = try await store.createUser(new) }
        new = good
        new.password = "short"
        await assertInvalid("password") { _ = try await store.createUser(new) }
        new = good
        new.roles = ["emperor"]
        await assertInvalid("roles") { _ = try await store.createUser(new) }
        new = good
        new.roles = []
        await assertInvalid("roles") { _ = try await store.createUser(new) }
        new = good
        new.companyIds = [UUID()]
        await assertInvalid("companies") { _ = try await store.createUser(new) }
        let count = try await store.pool.query("SELECT count(*) FROM users")[0].decode(0, as: Int64.self)
        XCTAssertEqual(count, 0)
    }

    func testUpdatesChangeRolesCompaniesPasswordAndActivity() async throws {
        let store = try await makeStore()
        let acme = try await store.createCompany(name: "Acme")
        let globex = try await store.createCompany(name: "Globex")
        let user = try await store.createUser(NewUser(email: "sam@acme.example", name: "Sam", password: "first password here",
                                                      roles: [Role.sales], companyIds: [acme.id]))
        let other = try await store.createUser(NewUser(email: "gil@globex.example", name: "Gil", password: "first password here",
                                                       roles: [Role.finance], companyIds: [globex.id]))
        let changed = try await store.updateUser(id: user.id, UserChanges(name: "Samantha", password: "second password here",
                                                                          roles: [Role.agent, Role.finance],
                                                                          companyIds: [acme.id, globex.id]))
        XCTAssertEqual(changed?.name, "Samantha")
        XCTAssertEqual(changed?.roles, [Role.agent, Role.finance])
        XCTAssertEqual(changed?.companyIds, [acme.id, globex.id])
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(changed?.updatedAt), user.updatedAt)
        let oldPassword = try await store.verifyCredentials(email: user.email, password: "first password here")
        XCTAssertNil(oldPassword)
        let newPassword = try await store.verifyCredentials(email: user.email, password: "second password here")
        XCTAssertEqual(newPassword?.id, user.id)

        let inAcme = try await store.users(inAnyOf: [acme.id]).map(\.id)
        XCTAssertEqual(inAcme, [user.id])
        let inGlobex = try await store.users(inAnyOf: [globex.id]).map(\.id)
        XCTAssertEqual(inGlobex, [user.id, other.id])
        let everyone = try await store.users(inAnyOf: nil).map(\.id)
        XCTAssertEqual(everyone, [user.id, other.id])

        _ = try await store.updateUser(id: user.id, UserChanges(active: false))
        let inactive = try await store.verifyCredentials(email: user.email, password: "second password here")
        XCTAssertNil(inactive, "an inactive user cannot log in")
        await assertInvalid("email") { _ = try await store.updateUser(id: user.id, UserChanges(email: "nope")) }
        do {
            _ = try await store.updateUser(id: user.id, UserChanges(email: "GIL@globex.example"))
            XCTFail("took another user's email")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .conflict)
        }
        let missing = try await store.updateUser(id: UUID(), UserChanges(name: "Ghost"))
        XCTAssertNil(missing)
    }

    /// Only a new password or a deactivation moves the session epoch on; other changes and
    /// a reactivation leave it.
    func testPasswordChangesAndDeactivationsMoveTheSessionEpoch() async throws {
        let store = try await makeStore()
        let acme = try await store.createCompany(name: "Acme")
        let user = try await store.createUser(NewUser(email: "pat@acme.example", name: "Pat", password: "first password here",
                                                      roles: [Role.sales], companyIds: [acme.id]))
        XCTAssertEqual(user.sessionEpoch, 0)
        let steps: [(String, UserChanges, Int64)] = [
            ("rename", UserChanges(name: "Patricia"), 0),
            ("new roles", UserChanges(roles: [Role.finance]), 0),
            ("new password", UserChanges(password: "second password here"), 1),
            ("rename again", UserChanges(name: "Pat"), 1),
            ("deactivation", UserChanges(active: false), 2),
            ("reactivation", UserChanges(active: true), 2),
            ("password and name", UserChanges(name: "P", password: "third password here"), 3),
        ]
        for (step, changes, epoch) in steps {
            let changed = try await store.updateUser(id: user.id, changes)
            XCTAssertEqual(changed?.sessionEpoch, epoch, step)
            let read = try await store.user(id: user.id)
            XCTAssertEqual(read?.sessionEpoch, epoch, step)
        }
        let loggedIn = try await store.verifyCredentials(email: user.email, password: "third password here")
        XCTAssertEqual(loggedIn?.sessionEpoch, 3)
    }

    func testBootstrapCreatesExactlyOneSuperAdmin() async throws {
        let store = try await makeStore()
        let before = try await store.hasSuperAdmin()
        XCTAssertFalse(before)
        async let first = store.bootstrapSuperAdmin(email: "root@example.com", password: "bootstrap password 1")
        async let second = store.bootstrapSuperAdmin(email: "root2@example.com", password: "bootstrap password 2")
        let created = try await [first, second].compactMap { $0 }
        XCTAssertEqual(created.count, 1, "two gateways starting together create one super-admin")
        XCTAssertEqual(created.first?.roles, [Role.superAdmin])
        let again = try await store.bootstrapSuperAdmin(email: "root3@example.com", password: "bootstrap password 3")
        XCTAssertNil(again)
        let count = try await store.pool.query("SELECT count(*) FROM users")[0].decode(0, as: Int64.self)
        XCTAssertEqual(count, 1)
    }

    func testRevokedSessionsAreRecordedAndExpiredOnesDeleted() async throws {
        let store = try await makeStore()
        let user = try await store.createUser(NewUser(email: "rev@example.com", name: "Rev", password: "long enough password",
                                                      roles: [Role.sales], companyIds: []))
        func revoked(_ jti: UUID) async throws -> Bool? { try await store.sessionCheck(userId: user.id, jti: jti)?.isRevoked }
        let live = UUID(), old = UUID()
        // A record left from a token that has expired since.
        try await store.pool.execute("INSERT INTO revoked_sessions VALUES ($1, now() - interval '10 seconds')", [old])
        let oldRevoked = try await revoked(old)
        XCTAssertEqual(oldRevoked, true)
        try await store.revokeSession(jti: live, expiresAt: Date().addingTimeInterval(3600))
        try await store.revokeSession(jti: live, expiresAt: Date().addingTimeInterval(3600))
        let liveRevoked = try await revoked(live)
        XCTAssertEqual(liveRevoked, true)
        let other = try await revoked(UUID())
        XCTAssertEqual(other, false)
        let afterCleanup = try await revoked(old)
        XCTAssertEqual(afterCleanup, false, "a record past its token's expiry is deleted")
    }

    /// The one query a session's check makes reads the user as `user(id:)` does and the
    /// permissions its roles grant as `permissions(ofRoles:)` does.
    func testASessionCheckReadsTheUserAndItsPermissionsInOneQuery() async throws {
        let store = try await makeStore()
        let company = try await store.createCompany(name: "Check Co")
        let user = try await store.createUser(NewUser(email: "check@example.com", name: "Check", password: "long enough password",
                                                      roles: [Role.sales, Role.finance], companyIds: [company.id]))
        let check = try await store.sessionCheck(userId: user.id, jti: UUID())
        let expected = try await store.permissions(ofRoles: [Role.sales, Role.finance])
        XCTAssertEqual(check?.user, user)
        XCTAssertEqual(check?.permissions, expected)
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(check?.isRevoked, false)
        let nobody = try await store.sessionCheck(userId: UUID(), jti: UUID())
        XCTAssertNil(nobody)
    }

    /// The row count of `key` in `login_failures` (nil: no row).
    private func count(_ key: String, in store: IdentityStore) async throws -> Int64? {
        try await store.pool.query("SELECT failures FROM login_failures WHERE key = $1", [key]).first?.decode(0, as: Int64.self)
    }

    private func limits(pair: Int = 3, account: Int = 1000, address: Int = 1000, window: Duration = .seconds(60))
        -> LoginThrottle.Limits {
        LoginThrottle.Limits(perAccountAndAddress: pair, perAccount: account, perAddress: address, window: window)
    }

    /// The decision alone: a pair and an address are locked past their limits; an account
    /// past its limit refuses only an address that has already tried it.
    func testThrottleDecisions() {
        let limits = limits(pair: 5, account: 20, address: 50)
        XCTAssertFalse(limits.refuses(.accountAndAddress, count: 5, pairCount: 5))
        XCTAssertTrue(limits.refuses(.accountAndAddress, count: 6, pairCount: 6))
        XCTAssertFalse(limits.refuses(.address, count: 50, pairCount: 1))
        XCTAssertTrue(limits.refuses(.address, count: 51, pairCount: 1))
        XCTAssertFalse(limits.refuses(.account, count: 20, pairCount: 3), "at the limit the account is not slowed yet")
        XCTAssertFalse(limits.refuses(.account, count: 500, pairCount: 1), "an address that has not tried gets its try")
        XCTAssertTrue(limits.refuses(.account, count: 21, pairCount: 2), "one that has is refused")
        XCTAssertEqual(LoginThrottle.accountKey(" Jane@Example.com"), LoginThrottle.accountKey("jane@example.com"))
        XCTAssertEqual(LoginThrottle.accountAndAddressKey(email: "Jane@Example.com ", address: "10.0.0.1"),
                       LoginThrottle.accountAndAddressKey(email: "jane@example.com", address: "10.0.0.1"))
    }

    /// The throttle's rows are access records too: they count an account's and an address's
    /// failed logins by digests, never by the email typed or the caller's address.
    func testFailedLoginsAreCountedByDigestsNotByEmailOrAddress() async throws {
        let store = try await makeStore()
        let throttle = LoginThrottle(pool: store.pool, limits: limits(pair: 5))
        guard case .admitted(let attempt) = try await throttle.admit(email: "Jane.Private@Example.com", address: "203.0.113.77") else {
            return XCTFail("the first try was refused")
        }
        try await throttle.failed(attempt)
        let keys = try await store.pool.query("SELECT key FROM login_failures").map { try $0.decode(0, as: String.self) }
        XCTAssertEqual(keys.count, 3, "the address, the pair and the account are counted: \(keys)")
        for key in keys {
            XCTAssertFalse(key.lowercased().contains("jane.private"), key)
            XCTAssertFalse(key.contains("203.0.113.77"), key)
        }
        let account = try await count(LoginThrottle.accountKey("jane.private@example.com"), in: store)
        XCTAssertEqual(account, 1, "the same digest for the same account, whatever its case")
    }

    /// 200 concurrent attempts on one account from one address: each is counted by one
    /// atomic statement before any hash, so exactly the limit are admitted.
    func testConcurrentAttemptsAreAdmittedOnlyUpToTheLimit() async throws {
        let store = try await makeStore()
        let throttle = LoginThrottle(pool: store.pool, limits: limits(pair: 5))
        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    if case .admitted = try await throttle.admit(email: "race@example.com", address: "10.0.0.9") { return true }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        XCTAssertEqual(admitted, 5)
        let pair = try await count(LoginThrottle.accountAndAddressKey(email: "race@example.com", address: "10.0.0.9"), in: store)
        XCTAssertEqual(pair, 5, "refused attempts give their count back")
    }

    func testFailuresLockTheirOwnAddressNotTheAccountsOwner() async throws {
        let store = try await makeStore()
        let throttle = LoginThrottle(pool: store.pool, limits: limits(pair: 3, account: 5))
        func admit(_ address: String) async throws -> LoginThrottle.Admission {
            try await throttle.admit(email: "Victim@example.com", address: address)
        }
        func fail(_ address: String) async throws {
            guard case .admitted(let attempt) = try await admit(address) else { return XCTFail("\(address) refused") }
            try await throttle.failed(attempt)
        }
        for _ in 0..<3 { try await fail("10.0.0.1") }
        guard case .refused(let retryAfter) = try await admit("10.0.0.1") else { return XCTFail("a fourth try was admitted") }
        XCTAssertTrue((1...60).contains(retryAfter), "\(retryAfter)")

        // The owner, elsewhere, is not locked; its success forgets its pair and gives back its
        // account count.
        guard case .admitted(let owner) = try await admit("10.0.0.2") else { return XCTFail("the owner is locked out") }
        try await throttle.succeeded(owner)
        let ownerPair = try await count(owner.accountAndAddress, in: store)
        XCTAssertNil(ownerPair)
        let account = try await count(LoginThrottle.accountKey("victim@example.com"), in: store)
        XCTAssertEqual(account, 3)

        // Past the account's limit (3 + 2 + 1 = 6 > 5), an address that has tried is refused
        // at once; a fresh one gets one try, and the owner's fresh address gets through.
        for _ in 0..<2 { try await fail("10.0.0.3") }
        try await fail("10.0.0.4")
        guard case .refused = try await admit("10.0.0.3") else { return XCTFail("a failed address was admitted to a slowed account") }
        try await fail("10.0.0.5")
        guard case .refused = try await admit("10.0.0.5") else { return XCTFail("a second try from a fresh address was admitted") }
        guard case .admitted(let again) = try await admit("10.0.0.6") else { return XCTFail("the owner is locked out") }
        try await throttle.succeeded(again)

        // An attempt that checked no password counts for nothing.
        guard case .admitted(let abandoned) = try await admit("10.0.0.7") else { return XCTFail("refused") }
        try await throttle.abandoned(abandoned)
        let abandonedPair = try await count(abandoned.accountAndAddress, in: store)
        XCTAssertEqual(abandonedPair, 0)
    }

    /// An address past its own limit is refused before the accounts it names are counted.
    func testAnAddressPastItsLimitIsRefusedForEveryAccount() async throws {
        let store = try await makeStore()
        let throttle = LoginThrottle(pool: store.pool, limits: limits(address: 2))
        for index in 0..<2 {
            guard case .admitted(let attempt) = try await throttle.admit(email: "a\(index)@example.com", address: "10.0.1.1") else {
                return XCTFail("refused")
            }
            try await throttle.failed(attempt)
        }
        guard case .refused = try await throttle.admit(email: "other@example.com", address: "10.0.1.1") else {
            return XCTFail("admitted past the address's limit")
        }
        let other = try await count(LoginThrottle.accountKey("other@example.com"), in: store)
        XCTAssertNil(other, "the refused attempt counted against the account it named")
        guard case .admitted = try await throttle.admit(email: "other@example.com", address: "10.0.1.2") else {
            return XCTFail("another address is refused")
        }
    }

    func testALockEndsWithItsWindow() async throws {
        let store = try await makeStore()
        let throttle = LoginThrottle(pool: store.pool, limits: limits(pair: 1, window: .seconds(1)))
        guard case .admitted(let attempt) = try await throttle.admit(email: "brief@example.com", address: "10.0.2.1") else {
            return XCTFail("refused")
        }
        try await throttle.failed(attempt)
        guard case .refused(let retryAfter) = try await throttle.admit(email: "brief@example.com", address: "10.0.2.1") else {
            return XCTFail("admitted past the limit")
        }
        XCTAssertEqual(retryAfter, 1)
        // 5 s is five windows: a lock still refusing then did not end with its window.
        try await eventually("the 1 s lock ends with its window", timeout: .seconds(5)) {
            if case .refused = try await throttle.admit(email: "brief@example.com", address: "10.0.2.1") { return false }
            return true
        }
    }
}
