import Crypto
import Foundation
import XCTest

/// `IdentifierRandom`: its buffered bytes are handed out once each, across refills and
/// threads, and look uniform.
final class IdentifierRandomTests: XCTestCase {
    /// 2,000 tokens of 12 bytes span several 4 KiB refills; any byte reused or a refill that
    /// repeated would show up as a duplicate.
    func testTokensAreDistinctAcrossRefills() {
        let tokens = (0..<2_000).map { _ in IdentifierRandom.token(byteCount: 12) }
        XCTAssertEqual(Set(tokens).count, tokens.count)
        XCTAssertTrue(tokens.allSatisfy { Base64URL.decode($0)?.count == 12 })
    }

    func testConcurrentDrawsNeverShareBytes() async {
        let words = await withTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<8 { group.addTask { (0..<2_000).map { _ in IdentifierRandom.bytes(count: 8) } } }
            return await group.reduce(into: [[UInt8]]()) { $0 += $1 }
        }
        XCTAssertEqual(words.count, 16_000)
        XCTAssertEqual(Set(words).count, words.count)
    }

    /// Every byte value turns up about equally often: a pool handing out zeros, or the same
    /// stretch twice, fails this (chi-square over 256 values, far beyond a 1e-6 tail).
    func testBytesLookUniform() {
        var counts = [Int](repeating: 0, count: 256)
        for _ in 0..<512 { for byte in IdentifierRandom.bytes(count: 1_000) { counts[Int(byte)] += 1 } }
        let expected = 512_000.0 / 256
        let chiSquare = counts.reduce(0.0) { $0 + pow(Double($1) - expected, 2) / expected }
        XCTAssertLessThan(chiSquare, 380, "255 degrees of freedom")
    }
}
