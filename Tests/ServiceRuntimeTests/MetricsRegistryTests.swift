import ServiceRuntime
import XCTest

final class MetricsRegistryTests: XCTestCase {
    func testRendersCountersGaugesAndHistogramsInTextFormat() {
        let registry = MetricsRegistry()
        let requests = registry.counter("http_requests_total", help: "Requests.", labels: ["route", "status"])
        requests.increment("/a", "200")
        requests.increment(by: 2, "/a", "200")
        requests.increment("/b\"x", "500")
        let open = registry.gauge("open_connections", help: "Open.")
        open.set(7)
        let latency = registry.histogram("latency_seconds", help: "Latency.", buckets: [0.1, 1])
        latency.observe(0.05)
        latency.observe(0.5)
        latency.observe(5)
        registry.collector("pool", help: "Pool.") { [(["state": "idle"], 3)] }

        let text = registry.render()
        XCTAssertTrue(text.contains("# TYPE http_requests_total counter\n"))
        XCTAssertTrue(text.contains("http_requests_total{route=\"/a\",status=\"200\"} 3\n"))
        XCTAssertTrue(text.contains("http_requests_total{route=\"/b\\\"x\",status=\"500\"} 1\n"))
        XCTAssertTrue(text.contains("open_connections 7\n"))
        XCTAssertTrue(text.contains("latency_seconds_bucket{le=\"0.1\"} 1\n"))
        XCTAssertTrue(text.contains("latency_seconds_bucket{le=\"1\"} 2\n"))
        XCTAssertTrue(text.contains("latency_seconds_bucket{le=\"+Inf\"} 3\n"))
        XCTAssertTrue(text.contains("latency_seconds_sum 5.55\n"))
        XCTAssertTrue(text.contains("latency_seconds_count 3\n"))
        XCTAssertTrue(text.contains("pool{state=\"idle\"} 3\n"))
    }

    func testRegisteringTwiceReturnsTheSameFamily() {
        let registry = MetricsRegistry()
        registry.counter("c", help: "C.").increment()
        registry.counter("c", help: "C.").increment()
        XCTAssertEqual(registry.counter("c", help: "C.").value(), 2)
    }

    func testConcurrentIncrementsAreNotLost() async {
        let registry = MetricsRegistry()
        let counter = registry.counter("c", help: "C.")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { for _ in 0..<1000 { counter.increment() } } }
        }
        XCTAssertEqual(counter.value(), 8000)
    }
}
