import Foundation
import Identity
import Postgres
import TestSupport
import XCTest

/// The care access audit's two ways of finding "every access of client N": records of
/// scattered numbers through the GIN index of `client_numbers`, records of runs (an export's
/// pages) through the GiST index of their ranges. Against a real PostgreSQL.
final class CareAccessLogTests: XCTestCase {
    func testNumbersBecomeRangesOnlyWhenTheyAreMostlyRuns() {
        XCTAssertEqual(CareAccessRecord.numberRanges(Array(1...5000)), "{[1,5001)}")
        XCTAssertEqual(CareAccessRecord.numberRanges(Array((1...16).reversed())), "{[1,17)}", "order does not matter")
        XCTAssertEqual(CareAccessRecord.numberRanges(Array(1...8) + Array(20...27)), "{[1,9),[20,28)}", "eight a run")
        XCTAssertNil(CareAccessRecord.numberRanges(Array(1...8) + Array(20...26)), "under eight a run")
        XCTAssertNil(CareAccessRecord.numberRanges(Array(1...7)), "too few to be worth a range")
        XCTAssertNil(CareAccessRecord.numberRanges(stride(from: 1, through: 2000, by: 2).map { $0 }), "no runs at all")
        XCTAssertEqual(CareAccessRecord.numberRanges([5, 5, 6, 7, 8, 9, 10, 11, 12]), "{[5,13)}", "a repeat joins its run")
        XCTAssertEqual(CareAccessRecord.numberRanges(Array(Int64.max - 9...Int64.max)), "{[\(Int64.max - 9),\(Int64.max)]}",
                       "the last number closes its range inclusively")
    }

    func testEveryClientOfARangedOrAListedRecordFindsItAndNoOtherDoes() async throws {
        let url = try PostgresServer.shared().createDatabase("identity")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: url, poolSize: 2))
        addTeardownBlock { await pool.close() }
        _ = try await MigrationRunner(migrations: IdentitySchema.migrations).apply(on: pool)
        let log = CareAccessLog(pool: pool)
        let company = UUID()
        func record(_ numbers: [Int64], route: String) -> CareAccessRecord {
            CareAccessRecord(at: Date(), userId: UUID(), roles: ["admin"], companyId: company, clientIds: numbers.map { _ in UUID() },
                             clientNumbers: numbers, sections: ["export"], route: route, requestId: nil, correlationId: nil,
                             outcome: .allowed)
        }
        let page = Array(Int64(1_001)...Int64(6_000))
        let list = stride(from: Int64(3), through: 9_000, by: 3).map { $0 }
        try await log.append(record(page, route: "export"))
        try await log.append(record(list, route: "list"))
        try await log.append(record([2], route: "one"))

        let stored = try await pool.query("SELECT route, client_number_ranges::text, cardinality(client_numbers) FROM care_access_log ORDER BY id")
        XCTAssertEqual(try stored.map { try $0.decodeIfPresent(1, as: String.self) }, ["{[1001,6001)}", nil, nil])
        XCTAssertEqual(try stored.map { try $0.decode(2, as: Int.self) }, [5000, 3000, 1])

        func routes(_ number: Int64) async throws -> [String] {
            try await log.records(CareAccessLog.Query(companyIds: [company], clientNumber: number)).map(\.route)
        }
        var found: [Int64: [String]] = [:]
        for number: Int64 in [1, 2, 3, 1_000, 1_001, 1_002, 3_000, 5_999, 6_000, 6_001, 6_002, 6_003, 9_000, 9_001] {
            found[number] = try await routes(number)
        }
        XCTAssertEqual(found, [1: [], 2: ["one"], 3: ["list"], 1_000: [], 1_001: ["export"], 1_002: ["export", "list"],
                               3_000: ["export", "list"], 5_999: ["export"], 6_000: ["export", "list"], 6_001: [],
                               6_002: [], 6_003: ["list"], 9_000: ["list"], 9_001: []])
        let read = try await log.records(CareAccessLog.Query(companyIds: [company], clientNumber: 4_000))
        XCTAssertEqual(read.first?.clientNumbers, page, "a ranged record still reads back every number")

        // Both kinds are found through their index, not by reading every record.
        let plan = try await pool.withTransaction { connection in
            _ = try connection.execute("SET LOCAL enable_seqscan = off")
            return try connection.query("""
                EXPLAIN SELECT id FROM care_access_log
                WHERE (client_number_ranges IS NULL AND client_numbers @> ARRAY[4000::bigint]) OR client_number_ranges @> 4000::bigint
                """).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        }
        XCTAssertTrue(plan.contains("Index Scan on care_access_log_by_client_range"), plan)
        XCTAssertTrue(plan.replacingOccurrences(of: "care_access_log_by_client_range", with: "")
                          .contains("Index Scan on care_access_log_by_client"), plan)
    }
}
