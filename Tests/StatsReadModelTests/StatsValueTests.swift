@testable import StatsReadModel
import XCTest

/// Which values the demographics and providers count, and the rates' rounding.
final class StatsValueTests: XCTestCase {
    func testTheCountryIsTheLastCommaSeparatedPartTrimmed() {
        XCTAssertEqual(StatsValue.country(fromLocation: "Sydney, NSW, Australia"), "Australia")
        XCTAssertEqual(StatsValue.country(fromLocation: "  Berlin ,  Germany \t"), "Germany")
        XCTAssertEqual(StatsValue.country(fromLocation: "France"), "France")
        XCTAssertEqual(StatsValue.country(fromLocation: "  France  "), "France")
        XCTAssertEqual(StatsValue.country(fromLocation: "New York, United States"), "United States", "inner spaces stay")
        XCTAssertEqual(StatsValue.country(fromLocation: "lyon, france"), "france", "case is kept: grouped as written")
        XCTAssertNil(StatsValue.country(fromLocation: "Paris, "), "a location ending in a comma names no country")
        XCTAssertNil(StatsValue.country(fromLocation: ""))
        XCTAssertNil(StatsValue.country(fromLocation: "   "))
        XCTAssertNil(StatsValue.country(fromLocation: nil))
        XCTAssertEqual(StatsValue.country(fromLocation: ",,Chile"), "Chile")
    }

    func testBlankValuesAreNotCountedOthersAreKeptAsWritten() {
        XCTAssertEqual(StatsValue.counted("Acme Ltd"), "Acme Ltd")
        XCTAssertEqual(StatsValue.counted(" Acme "), " Acme ", "not trimmed: grouped exactly as written")
        XCTAssertNil(StatsValue.counted(""))
        XCTAssertNil(StatsValue.counted(" \t"))
        XCTAssertNil(StatsValue.counted(nil))
    }

    func testRatesHaveOneDecimalRoundedHalfUp() {
        XCTAssertEqual(StatsRate.percent(1, of: 3), 33.3)
        XCTAssertEqual(StatsRate.percent(2, of: 3), 66.7)
        XCTAssertEqual(StatsRate.percent(1, of: 8), 12.5)
        XCTAssertEqual(StatsRate.percent(49, of: 400), 12.3, "12.25 rounds up")
        XCTAssertEqual(StatsRate.percent(3, of: 2000), 0.2, "0.15 rounds up, though 0.15 is not exact in binary")
        XCTAssertEqual(StatsRate.percent(1, of: 2001), 0.0)
        XCTAssertEqual(StatsRate.percent(5, of: 5), 100.0)
        XCTAssertEqual(StatsRate.percent(45, of: 1185), 3.8)
        XCTAssertEqual(StatsRate.percent(7, of: 0), 0, "no base: 0")
        XCTAssertEqual(StatsRate.ratio(15587, per: 1247), 12.5)
        XCTAssertEqual(StatsRate.ratio(0, per: 10), 0)
        XCTAssertEqual(StatsRate.ratio(5, per: 0), 0)
        XCTAssertEqual(StatsRate.ratio(1, per: 20), 0.1, "0.05 rounds up")
        XCTAssertEqual(StatsRate.ratio(-1, per: 20), -0.1, "symmetric for negatives")
        XCTAssertEqual(StatsRate.percent(Int64.max / 10, of: Int64.max / 5), 50.0, "huge counts take the floating-point path")
    }

    func testAMergedTopListIsFinalOnlyWhenNoOtherValueCanReachIt() {
        // Two tenants with full lists (10 values each) whose smallest counts are 3 and 2: a
        // value in neither list has at most 5.
        let merge = TopValuesMerge(limit: 10, depth: 10, tenantTops: [.init(rows: 10, smallest: 3), .init(rows: 10, smallest: 2)])
        XCTAssertEqual(merge.bound, 5)
        XCTAssertTrue(merge.settles([20, 19, 18, 17, 16, 15, 14, 13, 12, 6]))
        XCTAssertFalse(merge.settles([20, 19, 18, 17, 16, 15, 14, 13, 12, 5]), "a value at the bound could tie and win on its name")
        XCTAssertFalse(merge.settles([20, 19, 18, 17, 16, 15, 14, 13, 12, 4]))
        // A tenant with fewer values than the limit listed all of them: it adds nothing to the bound.
        let partial = TopValuesMerge(limit: 10, depth: 10, tenantTops: [.init(rows: 4, smallest: 1), .init(rows: 9, smallest: 7)])
        XCTAssertEqual(partial.bound, 0)
        XCTAssertTrue(partial.settles([9, 8, 7]), "every value is a candidate")
        XCTAssertFalse(merge.settles([9, 8]), "short list while values are missing")
        // Deeper lists (50 each) bound unlisted values by their 50th counts.
        let deeper = TopValuesMerge(limit: 10, depth: 50, tenantTops: [.init(rows: 50, smallest: 1), .init(rows: 12, smallest: 2)])
        XCTAssertEqual(deeper.bound, 1, "a tenant with 12 values listed them all")
        XCTAssertTrue(deeper.settles([20, 19, 18, 17, 16, 15, 14, 13, 12, 2]))
    }
}
