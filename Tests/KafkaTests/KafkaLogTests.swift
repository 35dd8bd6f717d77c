import Foundation
import Kafka
import Synchronization
import TestSupport
import XCTest

final class KafkaLogTests: XCTestCase {
    final class Lines: Sendable {
        private let lines = Mutex<[(Int32, String, String)]>([])
        func append(_ line: (Int32, String, String)) { lines.withLock { $0.append(line) } }
        var all: [(Int32, String, String)] { lines.withLock { $0 } }
    }

    /// librdkafka's own lines (here: a refused connection) reach the handler, not stderr.
    func testLibraryLogLinesReachTheHandler() async throws {
        let lines = Lines()
        KafkaLog.setHandler { level, facility, message in lines.append((level, facility, message)) }
        defer { KafkaLog.setHandler(nil) }
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
        try await eventually("a log line reaches the handler", timeout: .seconds(10)) { !lines.all.isEmpty }
        await producer.close(timeout: .milliseconds(100))
        let first = try XCTUnwrap(lines.all.first, "no log line reached the handler")
        XCTAssertLessThanOrEqual(first.0, 4, "a refused connection is logged as an error or warning")
        XCTAssertTrue(lines.all.contains { $0.2.contains("127.0.0.1:1") })
    }
}
