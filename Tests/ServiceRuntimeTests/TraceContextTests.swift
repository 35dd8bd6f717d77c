import Foundation
import HTTP
@testable import ServiceRuntime
import XCTest

/// W3C trace context: what a request continues, what it passes on, what its log lines carry.
final class TraceContextTests: XCTestCase {
    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    func testParsesOnlyValidTraceparents() {
        let parsed = TraceContext.parse(incoming)
        XCTAssertEqual(parsed?.traceId, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(parsed?.spanId, "00f067aa0ba902b7")
        XCTAssertEqual(parsed?.flags, "01")
        XCTAssertEqual(parsed?.traceparent, incoming)
        // A later version may carry more fields; they are ignored.
        XCTAssertEqual(TraceContext.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")?.traceId,
                       "4bf92f3577b34da6a3ce929d0e0e4736")
        for bad in ["", "garbage", incoming + "-extra", incoming.uppercased(),
                    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
                    "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"] {
            XCTAssertNil(TraceContext.parse(bad), bad)
        }
    }

    func testContinuesTheCallersTraceWithANewSpanOrStartsOne() throws {
        let continued = TraceContext.continuing(incoming)
        XCTAssertEqual(continued.traceId, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertEqual(continued.parentSpanId, "00f067aa0ba902b7")
        XCTAssertNotEqual(continued.spanId, "00f067aa0ba902b7")
        XCTAssertEqual(continued.flags, "01")

        let child = try XCTUnwrap(TraceContext.parse(continued.childTraceparent()))
        XCTAssertEqual(child.traceId, continued.traceId)
        XCTAssertNotEqual(child.spanId, continued.spanId)
        XCTAssertNotEqual(child.spanId, "00f067aa0ba902b7")
        XCTAssertEqual(child.flags, "01")

        let fresh = TraceContext.continuing("not a traceparent")
        XCTAssertNil(fresh.parentSpanId)
        XCTAssertNotNil(TraceContext.parse(fresh.traceparent), fresh.traceparent)
        XCTAssertNotEqual(fresh.traceId, TraceContext.continuing(nil).traceId)
    }

    func testRequestsRunInTheirTraceAndPassItOn() async throws {
        var headers: HTTPHeaders = ["traceparent": incoming]
        headers.add(name: "X-Request-Id", value: "req-7")
        let handler = RequestContext.wrap { _ in
            var outgoing = HTTPHeaders()
            outgoing.addRequestContext()
            let body = [outgoing["traceparent"] ?? "", outgoing["x-correlation-id"] ?? "", outgoing["x-request-id"] ?? "",
                        LogContext.trace?.spanId ?? ""].joined(separator: " ")
            return HTTPResponse(status: .ok, body: Array(body.utf8))
        }
        let response = try await handler(HTTPRequest(method: .GET, target: "/", headers: headers))
        let parts = String(decoding: response.body, as: UTF8.self).split(separator: " ").map(String.init)
        XCTAssertEqual(parts.count, 4)
        let passedOn = try XCTUnwrap(TraceContext.parse(parts[0]))
        XCTAssertEqual(passedOn.traceId, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertNotEqual(passedOn.spanId, "00f067aa0ba902b7", "the callee's parent is a new span")
        XCTAssertNotEqual(passedOn.spanId, parts[3], "each call gets its own span")
        XCTAssertEqual(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "the trace id is the correlation id")
        XCTAssertEqual(parts[2], "req-7")
        XCTAssertEqual(response.headers["x-correlation-id"], "4bf92f3577b34da6a3ce929d0e0e4736")

        // Outside a request nothing is added.
        var outside = HTTPHeaders()
        outside.addRequestContext()
        XCTAssertNil(outside["traceparent"])
        XCTAssertNil(outside["x-correlation-id"])
    }

    func testLogLinesCarryTheTraceId() throws {
        let lines = LoggerTests.Lines()
        let logger = Logger(service: "search-projection", level: .info, sink: LogSink { lines.append($0) })
        LogContext.$trace.withValue(TraceContext.parse(incoming)) {
            logger.info("applied")
        }
        logger.info("untraced")
        let objects = try lines.all.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]) }
        XCTAssertEqual(objects.first?["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertNil(objects.last?["trace_id"])
    }

    func testMetricsLabelOnlyStandardMethods() {
        let metrics = MetricsRegistry()
        let observer = RequestObserver(metrics: metrics, logger: Logger(service: "t", level: .error, sink: LogSink { _ in }))
        var request = HTTPRequest(method: HTTPMethod(rawValue: "BREW"), target: "/pot/1")
        observer.requestCompleted(request, status: .notImplemented, duration: .milliseconds(1))
        request = HTTPRequest(method: .GET, target: "/clients/42")
        request.route = "/clients/:id"
        observer.requestCompleted(request, status: .ok, duration: .milliseconds(3))
        let text = metrics.render()
        XCTAssertTrue(text.contains("http_requests_total{method=\"other\",route=\"unmatched\",status=\"501\"} 1\n"), text)
        XCTAssertTrue(text.contains("http_request_duration_seconds_count{method=\"GET\",route=\"/clients/:id\",status=\"200\"} 1\n"), text)
        XCTAssertFalse(text.contains("BREW"))
        XCTAssertFalse(text.contains("/clients/42"))
    }
}
