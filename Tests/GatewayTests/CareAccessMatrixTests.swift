import ClientDomain
import Foundation
import Identity
import InternalAPI
import Postgres
import TestSupport
import XCTest
@testable import Gateway

/// The care API's role matrix, as the identity migrations grant it (read from a migrated
/// database, so the data is what is tested): role × relationship to the client × company ×
/// action.
final class CareAccessMatrixTests: XCTestCase {
    enum Relation: CaseIterable { case coordinates, planManages, unrelated }
    enum Company: CaseIterable { case own, other }
    enum Action: CaseIterable { case read, write, seeMedical, export, readAudit }

    func testTheRoleMatrix() async throws {
        let url = try PostgresServer.shared().createDatabase("care_matrix_\(UInt32.random(in: 0...UInt32.max))")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 1))
        _ = try await MigrationRunner(migrations: IdentitySchema.migrations).apply(on: pool)
        let granted = try await IdentityStore(pool: pool).rolePermissions()
        await pool.close()

        // What each role may do with a client of its own company, by relation; another
        // company's client is "not found" for everyone but the super-admin.
        let everything: Set<Action> = Set(Action.allCases)
        let expected: [String: [Relation: Set<Action>]] = [
            "super-admin": [.coordinates: everything, .planManages: everything, .unrelated: everything],
            "admin": [.coordinates: everything, .planManages: everything, .unrelated: everything],
            "support-coordinator": [.coordinates: [.read, .write, .seeMedical], .planManages: [.read, .write, .seeMedical],
                                    .unrelated: [.seeMedical]],
            "plan-manager": [.coordinates: [.read], .planManages: [.read], .unrelated: []],
            "health-carer": [.coordinates: [.read, .seeMedical], .planManages: [.read, .seeMedical], .unrelated: [.seeMedical]],
            "sales": [.coordinates: [], .planManages: [], .unrelated: []],
            "finance": [.coordinates: [], .planManages: [], .unrelated: []],
            "agent": [.coordinates: [], .planManages: [], .unrelated: []],
        ]
        XCTAssertEqual(Set(expected.keys), Set(granted.keys), "every role is in the matrix")
        let own = UUID(), other = UUID(), me = UUID()
        var checked = 0
        for (role, byRelation) in expected {
            let access = CareAccess(userId: me, permissions: granted[role] ?? [], companyIds: [own])
            for relation in Relation.allCases {
                for company in Company.allCases {
                    var care = ClientProfile()
                    let coordinator = relation == .coordinates ? me.lowercasedString : UUID().lowercasedString
                    let manager = relation == .planManages ? me.lowercasedString : UUID().lowercasedString
                    CarePatch(sections: ["personalInfo": ["firstName": "A", "lastName": "B"],
                                             "ndisDetails": ["ndisNumber": "430000001", "supportCoordinator": .string(coordinator),
                                                             "planManager": .string(manager)]]).apply(to: &care)
                    let record = ClientRecord(id: UUID(), tenantId: company == .own ? own : other, profile: care, version: 1,
                                              createdAt: Date(), updatedAt: Date(), number: 7)
                    let allowed = byRelation[relation] ?? []
                    let label = "\(role), \(relation), \(company) company"
                    let visible = company == .own || role == "super-admin"
                    let read = access.decide(Permission.careRead, on: record)
                    let write = access.decide(Permission.careWrite, on: record)
                    XCTAssertEqual(read, !visible ? .notFound : allowed.contains(.read) ? .allowed : .unauthorized, "read: \(label)")
                    XCTAssertEqual(write, !visible ? .notFound : allowed.contains(.write) ? .allowed : .unauthorized, "write: \(label)")
                    XCTAssertEqual(access.visibleSections.contains("medicalInfo"), allowed.contains(.seeMedical), "medical: \(label)")
                    XCTAssertEqual(access.can(Permission.careExport), role == "admin" || role == "super-admin", "export: \(label)")
                    XCTAssertEqual(access.can(Permission.careAuditRead), role == "admin" || role == "super-admin", "audit: \(label)")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 8 * 3 * 2)
    }
}
