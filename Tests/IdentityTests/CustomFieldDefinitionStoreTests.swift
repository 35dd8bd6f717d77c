import ClientDomain
import Errors
import Foundation
import Identity
import Postgres
import TestSupport
import XCTest

/// Each workspace's custom-field definitions in the identity database.
final class CustomFieldDefinitionStoreTests: XCTestCase {
    private func makeStore() async throws -> IdentityStore {
        let url = try PostgresServer.shared().createDatabase("fields")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 4))
        addTeardownBlock { await pool.close() }
        _ = try await MigrationRunner(migrations: IdentitySchema.migrations).apply(on: pool)
        return IdentityStore(pool: pool)
    }

    private func code(_ body: () async throws -> Void) async -> ClienteleError.Code? {
        do {
            try await body()
            return nil
        } catch let error as ClienteleError {
            return error.code
        } catch {
            XCTFail("\(error)")
            return nil
        }
    }

    func testDefinitionsAreKeptPerWorkspace() async throws {
        let store = try await makeStore()
        let acme = try await store.createCompany(name: "Acme").id
        let globex = try await store.createCompany(name: "Globex").id
        let tier = CustomFieldDefinition(fieldKey: "tier", label: "Tier", type: .select, options: ["gold", "silver"], required: true)
        let created = try await store.createCustomFieldDefinition(tier, companyId: acme)
        XCTAssertEqual(created.definition, tier)
        _ = try await store.createCustomFieldDefinition(CustomFieldDefinition(fieldKey: "age", label: "Age", type: .number),
                                                        companyId: acme)
        _ = try await store.createCustomFieldDefinition(CustomFieldDefinition(fieldKey: "tier", label: "Other", type: .text),
                                                        companyId: globex)
        let duplicate = await code { _ = try await store.createCustomFieldDefinition(tier, companyId: acme) }
        XCTAssertEqual(duplicate, .conflict)
        let nowhere = await code { _ = try await store.createCustomFieldDefinition(tier, companyId: UUID()) }
        XCTAssertEqual(nowhere, .notFound)

        var acmeKeys = try await store.customFieldDefinitions(companyId: acme).map(\.definition.fieldKey)
        XCTAssertEqual(acmeKeys, ["age", "tier"])
        let changed = try await store.updateCustomFieldDefinition(fieldKey: "tier", companyId: acme,
                                                                  CustomFieldDefinitionChanges(options: ["gold"], required: false)) { _ in }
        XCTAssertEqual(changed?.definition, CustomFieldDefinition(fieldKey: "tier", label: "Tier", type: .select, options: ["gold"]))
        let refused = await code {
            _ = try await store.updateCustomFieldDefinition(fieldKey: "tier", companyId: acme, CustomFieldDefinitionChanges(label: "X")) { _ in
                throw ClienteleError(.unprocessable, "no")
            }
        }
        XCTAssertEqual(refused, .unprocessable)
        let afterRefusal = try await store.customFieldDefinitions(companyId: acme)
        XCTAssertEqual(afterRefusal.last?.definition.label, "Tier", "a refused change changes nothing")
        let missing = try await store.updateCustomFieldDefinition(fieldKey: "nope", companyId: acme, CustomFieldDefinitionChanges()) { _ in }
        XCTAssertNil(missing)

        let deleted = try await store.deleteCustomFieldDefinition(fieldKey: "tier", companyId: acme)
        let deletedAgain = try await store.deleteCustomFieldDefinition(fieldKey: "tier", companyId: acme)
        XCTAssertTrue(deleted)
        XCTAssertFalse(deletedAgain)
        acmeKeys = try await store.customFieldDefinitions(companyId: acme).map(\.definition.fieldKey)
        XCTAssertEqual(acmeKeys, ["age"])
        let globexLabels = try await store.customFieldDefinitions(companyId: globex).map(\.definition.label)
        XCTAssertEqual(globexLabels, ["Other"])
    }

    func testAWorkspaceHoldsAtMostAHundredDefinitionsEvenUnderConcurrency() async throws {
        let store = try await makeStore()
        let company = try await store.createCompany(name: "Many").id
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<(IdentityStore.maxCustomFieldDefinitions + 10) {
                group.addTask {
                    let definition = CustomFieldDefinition(fieldKey: "f\(index)", label: "F", type: .boolean)
                    return (try? await store.createCustomFieldDefinition(definition, companyId: company)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(outcomes.filter { $0 }.count, IdentityStore.maxCustomFieldDefinitions)
        let stored = try await store.customFieldDefinitions(companyId: company)
        XCTAssertEqual(stored.count, IdentityStore.maxCustomFieldDefinitions)
    }
}
