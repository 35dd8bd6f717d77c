import HTTP

/// Records every HTTP request the server completes: Prometheus counters and latency
/// histograms by method, route template and status, and a log line for server errors.
///
/// Routes are labelled by their template (`/api/clients/:id`), never the raw path, so the
/// number of series stays bounded; unmatched requests share the label `unmatched`.
public final class RequestObserver: HTTPServerObserver {
    private let requests: Counter
    private let duration: Histogram
    private let connections: Gauge
    private let logger: Logger

    public init(metrics: MetricsRegistry, logger: Logger) {
        self.requests = metrics.counter("http_requests_total", help: "HTTP requests completed.", labels: ["method", "route", "status"])
        self.duration = metrics.histogram("http_request_duration_seconds", help: "Time from request head to response written.",
                                          labels: ["method", "route"])
        self.connections = metrics.gauge("http_open_connections", help: "Open HTTP connections.")
        self.logger = logger
    }

    public func requestCompleted(_ request: HTTPRequest, status: HTTPStatus, duration elapsed: Duration) {
        let route = request.route ?? "unmatched"
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        requests.increment(request.method.rawValue, route, String(status.code))
        duration.observe(seconds, request.method.rawValue, route)
        if status.code >= 500 {
            logger.error("request failed", ["method": request.method.rawValue, "route": route, "status": String(status.code)])
        } else {
            logger.debug("request", ["method": request.method.rawValue, "route": route, "status": String(status.code)])
        }
    }

    public func connectionCountChanged(_ open: Int) {
        connections.set(Double(open))
    }
}
