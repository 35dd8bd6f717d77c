import Errors
import Foundation
import InternalAPI
import XCTest

/// The tenant scope's query parameters: what the gateway writes, the search and stats
/// projections read back (one definition for both sides).
final class TenantScopeQueryTests: XCTestCase {
    private func read(_ items: [(String, String)]) throws -> ClientListQuery.TenantScope {
        let parameters = Dictionary(items, uniquingKeysWith: { first, _ in first })
        return try ClientListQuery.TenantScope { parameters[$0] }
    }

    func testRoundTrips() throws {
        let ids = [UUID(), UUID(), UUID()]
        XCTAssertEqual(try read(ClientListQuery.TenantScope.tenants(ids).queryItems), .tenants(ids))
        XCTAssertEqual(try read(ClientListQuery.TenantScope.everyTenant.queryItems), .everyTenant)
    }

    func testRefusesNeitherBothAndMalformed() {
        let cases: [[(String, String)]] = [
            [], [("tenantId", UUID().uuidString), ("allTenants", "true")], [("allTenants", "yes")],
            [("tenantId", "not-a-uuid")], [("tenantId", "")],
            [("tenantId", (0...ClientListQuery.maxTenants).map { _ in UUID().uuidString }.joined(separator: ","))],
        ]
        for items in cases {
            XCTAssertThrowsError(try read(items), "\(items.map(\.0))") { error in
                XCTAssertEqual((error as? ClienteleError)?.code, .invalidArgument)
                XCTAssertEqual((error as? ClienteleError)?.context["parameter"], "tenantId")
            }
        }
    }
}
