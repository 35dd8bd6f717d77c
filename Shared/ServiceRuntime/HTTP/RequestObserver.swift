import HTTP

/// Records every HTTP request the server completes: Prometheus counters and latency
/// histograms by method, route template and status, and a log line for server errors.
///
/// Routes are labelled by their template (`/api/clients/:id`), never the raw path, so the
/// number of series stays bounded; unmatched requests share the label `unmatched`, and
/// methods other than the standard ones share the label `other`.
public final class RequestObserver: HTTPServerObserver {
    private let requests: Counter
    private let duration: Histogram
    private let connections: Gauge
    private let logger: Logger

    public init(metrics: MetricsRegistry, logger: Logger) {
        self.requests = metrics.counter("http_requests_total", help: "HTTP requests completed.", labels: ["method", "route", "status"])
        self.duration = metrics.histogram("http_request_duration_seconds", help: "Time from request head to response written.",
                                          labels: ["method", "route", "status"])
        self.connections = metrics.gauge("http_open_connections", help: "Open HTTP connections.")
        self.logger = logger
    }

    public func requestCompleted(_ request: HTTPRequest, status: HTTPStatus, duration elapsed: Duration) {
        let route = request.route ?? "unmatched"
        let method = Self.methodLabel(request.method)
        let code = String(status.code)
        let seconds = elapsed.inSeconds
        requests.increment(method, route, code)
        duration.observe(seconds, method, route, code)
        if status.code >= 500 {
            logger.error("request failed", ["method": method, "route": route, "status": code])
        } else {
            logger.debug("request", ["method": method, "route": route, "status": code])
        }
    }

    /// The method as a label: the standard methods by name, any other token as `other`
    /// (a client can send any token, and each would otherwise make new series).
    static func methodLabel(_ method: HTTPMethod) -> String {
        switch method.rawValue {
        case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS": method.rawValue
        default: "other"
        }
    }

    public func connectionCountChanged(_ open: Int) {
        connections.set(Double(open))
    }
}
