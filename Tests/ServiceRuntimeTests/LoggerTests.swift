import Foundation
import ServiceRuntime
import Synchronization
import XCTest

final class LoggerTests: XCTestCase {
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    func testWritesOneJSONObjectPerLineWithContext() throws {
        let lines = Lines()
        let logger = Logger(service: "gateway", level: .info, sink: LogSink { lines.append($0) })
        logger.debug("dropped")
        LogContext.$requestId.withValue("req-1") {
            LogContext.$correlationId.withValue("corr-1") {
                logger.info("hello \"world\"\n", ["route": "/a"])
            }
        }
        XCTAssertEqual(lines.all.count, 1)
        let line = try XCTUnwrap(lines.all.first)
        XCTAssertTrue(line.hasSuffix("}\n"))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        XCTAssertEqual(object["service"], "gateway")
        XCTAssertEqual(object["level"], "info")
        XCTAssertEqual(object["msg"], "hello \"world\"\n")
        XCTAssertEqual(object["request_id"], "req-1")
        XCTAssertEqual(object["correlation_id"], "corr-1")
        XCTAssertEqual(object["route"], "/a")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        XCTAssertNotNil(object["ts"].flatMap { formatter.date(from: $0) })
    }

    /// A disabled level builds neither the message nor the metadata (request logging runs on
    /// every request at debug level).
    func testDisabledLinesAreNotBuilt() {
        let lines = Lines()
        let logger = Logger(service: "gateway", level: .info, sink: LogSink { lines.append($0) })
        var built = 0
        func metadata() -> [String: String] {
            built += 1
            return ["k": "v"]
        }
        logger.debug("skipped", metadata())
        XCTAssertEqual(built, 0)
        logger.info("kept", metadata())
        XCTAssertEqual(built, 1)
        XCTAssertEqual(lines.all.count, 1)
    }
}
