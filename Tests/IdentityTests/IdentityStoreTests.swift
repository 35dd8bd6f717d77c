import Crypto
import Errors
import Foundation
import Identity
import Postgres
import TestSupport
import XCTest

/// Companies and API keys against a real PostgreSQL: issue, verify, revoke, hash-only storage.
final class IdentityStoreTests: XCTestCase {
    private func makeStore() async throws -> IdentityStore {
        let url = try PostgresServer.shared().createDatabase("identity")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 4))
        addTeardownBlock { await pool.close() }
        _ = try await MigrationRunner(migrations: IdentitySchema.migrations).apply(on: pool)
        return IdentityStore(pool: pool)
    }

    func testCompaniesGetNumbersAndUniqueNames() async throws {
        let store = try await makeStore()
        let acme = try await store.createCompany(name: "  Acme  ")
        let globex = try await store.createCompany(name: "Globex")
        XCTAssertEqual(acme.name, "Acme")
        XCTAssertLessThan(acme.number, globex.number)
        let byName = try await store.company(reference: "ACME")
        XCTAssertEqual(byName?.id, acme.id)
        let byId = try await store.company(reference: globex.id.uuidString)
        XCTAssertEqual(byId, globex)
        do {
            _ = try await store.createCompany(name: "acme")
            XCTFail("a second company named acme was created")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .conflict)
        }
        do {
            _ = try await store.createCompany(name: "   ")
            XCTFail("a blank company name was accepted")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
    }

    func testIssuedKeyAuthenticatesUntilRevoked() async throws {
        let store = try await makeStore()
        let company = try await store.createCompany(name: "Initech")
        let issued = try await store.issueAPIKey(companyId: company.id, permissions: [APIKeyPermission.clientsRead])
        XCTAssertTrue(issued.secret.hasPrefix("ba_"))
        XCTAssertEqual(issued.secret.count, 46)
        XCTAssertTrue(APIKeySecret.isWellFormed(issued.secret))
        XCTAssertEqual(issued.key.prefix, String(issued.secret.prefix(11)))

        let verified = try await store.authenticate(secret: issued.secret)
        XCTAssertEqual(verified?.id, issued.key.id)
        XCTAssertEqual(verified?.companyId, company.id)
        XCTAssertEqual(verified?.permissions, [APIKeyPermission.clientsRead])
        XCTAssertEqual(verified?.allows(APIKeyPermission.clientsWrite), false)

        // One changed character, a malformed key, an oversized one: all refused.
        var tampered = Array(issued.secret)
        tampered[20] = tampered[20] == "A" ? "B" : "A"
        let tamperedResult = try await store.authenticate(secret: String(tampered))
        XCTAssertNil(tamperedResult)
        let malformed = try await store.authenticate(secret: "ba_short")
        XCTAssertNil(malformed)
        let oversized = try await store.authenticate(secret: issued.secret + String(repeating: "x", count: 10_000))
        XCTAssertNil(oversized)

        // Revocation is effective for the very next lookup.
        let revoked = try await store.revokeAPIKey(id: issued.key.id)
        XCTAssertTrue(revoked)
        let afterRevoke = try await store.authenticate(secret: issued.secret)
        XCTAssertNil(afterRevoke)
        let again = try await store.revokeAPIKey(id: issued.key.id)
        XCTAssertFalse(again)
        let listed = try await store.apiKeys(companyId: company.id)
        XCTAssertNotNil(listed.first?.revokedAt)
    }

    func testOnlyTheDigestIsStored() async throws {
        let store = try await makeStore()
        let company = try await store.createCompany(name: "Hooli")
        let issued = try await store.issueAPIKey(companyId: company.id)
        let rows = try await store.pool.query("SELECT row_to_json(k)::text, key_hash FROM api_keys k")
        XCTAssertEqual(rows.count, 1)
        let everything = try rows[0].decode(0, as: String.self)
        let randomPart = String(issued.secret.dropFirst(3))
        XCTAssertFalse(everything.contains(randomPart), "the secret is stored in clear")
        XCTAssertFalse(everything.contains(String(randomPart.dropFirst(8))), "part of the secret is stored in clear")
        XCTAssertEqual(try rows[0].decode(1, as: [UInt8].self), SHA256.hash(issued.secret))
        XCTAssertEqual(Set(issued.key.permissions), APIKeyPermission.defaults)
    }

    func testIssuingRefusesUnknownPermissionsAndCompanies() async throws {
        let store = try await makeStore()
        let company = try await store.createCompany(name: "Umbrella")
        do {
            _ = try await store.issueAPIKey(companyId: company.id, permissions: ["clients:reed"])
            XCTFail("an unknown permission was accepted")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .invalidArgument)
        }
        do {
            _ = try await store.issueAPIKey(companyId: UUID())
            XCTFail("a key was issued for a missing company")
        } catch let error as ClienteleError {
            XCTAssertEqual(error.code, .notFound)
        }
    }

    func testSecretsAreRandomAndWellFormed() {
        let secrets = (0..<100).map { _ in APIKeySecret.generate() }
        XCTAssertEqual(Set(secrets).count, 100)
        XCTAssertTrue(secrets.allSatisfy(APIKeySecret.isWellFormed))
        XCTAssertFalse(APIKeySecret.isWellFormed("ba_" + String(repeating: "!", count: 43)))
        XCTAssertFalse(APIKeySecret.isWellFormed("xx_" + String(secrets[0].dropFirst(3))))
    }
}
