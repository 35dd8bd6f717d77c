import Foundation
import HTTP
@testable import ServiceRuntime
import Synchronization
import XCTest

/// A storm of one failure writes a bounded number of lines, and the next line says how many
/// were left out; other failures and the metrics are unaffected.
final class ErrorLogThrottleTests: XCTestCase {
    let key = ErrorLogThrottle.Key(method: "GET", route: "/api/v1/clients/:id", status: "503")

    func testAtMostTheLimitEachSecondThenTheNextLineCountsTheRest() {
        let origin = ContinuousClock.now
        var throttle = ErrorLogThrottle(linesPerSecond: 3, origin: origin)
        let first = (0..<10).map { throttle.decide(key, at: origin + .milliseconds($0 * 90)) }
        XCTAssertEqual(first, [.write(suppressed: 0), .write(suppressed: 0), .write(suppressed: 0),
                               .skip, .skip, .skip, .skip, .skip, .skip, .skip])
        XCTAssertEqual(throttle.decide(key, at: origin + .milliseconds(1_000)), .write(suppressed: 7))
        XCTAssertEqual(throttle.decide(key, at: origin + .milliseconds(1_001)), .write(suppressed: 0))
    }

    func testEachKindOfFailureHasItsOwnLimit() {
        let origin = ContinuousClock.now
        var throttle = ErrorLogThrottle(linesPerSecond: 1, origin: origin)
        let other = ErrorLogThrottle.Key(method: "GET", route: "/api/v1/clients/:id", status: "500")
        XCTAssertEqual(throttle.decide(key, at: origin), .write(suppressed: 0))
        XCTAssertEqual(throttle.decide(key, at: origin), .skip)
        XCTAssertEqual(throttle.decide(other, at: origin), .write(suppressed: 0))
    }

    func testTheKeysRememberedAreBounded() {
        let origin = ContinuousClock.now
        var throttle = ErrorLogThrottle(linesPerSecond: 1, maxKeys: 2, origin: origin)
        let keys = (0..<3).map { ErrorLogThrottle.Key(method: "GET", route: "/r\($0)", status: "500") }
        for key in keys { XCTAssertEqual(throttle.decide(key, at: origin), .write(suppressed: 0)) }
        // The third key is past the bound: written every time, and the remembered keys keep
        // their windows (the first key's limit still holds, its count kept for its next line).
        XCTAssertEqual(throttle.decide(keys[2], at: origin), .write(suppressed: 0))
        XCTAssertEqual(throttle.decide(keys[0], at: origin), .skip)
        XCTAssertEqual(throttle.decide(keys[0], at: origin + .seconds(1)), .write(suppressed: 1))
    }

    func testTheObserverWritesBoundedLinesAndCountsEveryRequest() throws {
        let lines = Mutex<[String]>([])
        let clock = Mutex(ContinuousClock.now)
        let metrics = MetricsRegistry()
        let observer = RequestObserver(metrics: metrics, logger: Logger(service: "t", level: .info, sink: LogSink { line in
            lines.withLock { $0.append(line) }
        }), errorLinesPerSecond: 2, now: { clock.withLock { $0 } })
        var request = HTTPRequest(method: .GET, target: "/api/v1/clients/42")
        request.route = "/api/v1/clients/:id"
        for _ in 0..<50 { observer.requestCompleted(request, status: .serviceUnavailable, duration: .milliseconds(1)) }
        clock.withLock { $0 += .seconds(1) }
        observer.requestCompleted(request, status: .serviceUnavailable, duration: .milliseconds(1))

        let objects = try lines.withLock { $0 }.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]) }
        XCTAssertEqual(objects.count, 3)
        XCTAssertEqual(objects.map { $0["msg"] }, ["request failed", "request failed", "request failed"])
        XCTAssertEqual(objects.map { $0["suppressed"] }, [nil, nil, "48"])
        XCTAssertTrue(objects.allSatisfy { $0["route"] == "/api/v1/clients/:id" && $0["status"] == "503" })
        XCTAssertTrue(metrics.render().contains("http_requests_total{method=\"GET\",route=\"/api/v1/clients/:id\",status=\"503\"} 51\n"))
    }
}
