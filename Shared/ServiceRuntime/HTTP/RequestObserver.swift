import HTTP
import Synchronization

/// Records every HTTP request the server completes: Prometheus counters and latency
/// histograms by method, route template and status, and a log line for server errors (at
/// most `ErrorLogThrottle.linesPerSecond` a second for each method, route and status; the next
/// line written says how many were left out).
///
/// Routes are labelled by their template (`/api/clients/:id`), never the raw path, so the
/// number of series stays bounded; unmatched requests share the label `unmatched`, and
/// methods other than the standard ones share the label `other`.
public final class RequestObserver: HTTPServerObserver {
    private let requests: Counter
    private let duration: Histogram
    private let connections: Gauge
    private let logger: Logger
    private let throttle: Mutex<ErrorLogThrottle>
    private let now: @Sendable () -> ContinuousClock.Instant

    /// - Parameter now: the clock the error lines' limit counts seconds by (tests pass their own).
    public init(metrics: MetricsRegistry, logger: Logger, errorLinesPerSecond: Int = 10,
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.requests = metrics.counter("http_requests_total", help: "HTTP requests completed.", labels: ["method", "route", "status"])
        self.duration = metrics.histogram("http_request_duration_seconds", help: "Time from request head to response written.",
                                          labels: ["method", "route", "status"])
        self.connections = metrics.gauge("http_open_connections", help: "Open HTTP connections.")
        self.logger = logger
        self.throttle = Mutex(ErrorLogThrottle(linesPerSecond: errorLinesPerSecond, origin: now()))
        self.now = now
    }

    public func requestCompleted(_ request: HTTPRequest, status: HTTPStatus, duration elapsed: Duration) {
        let route = request.route ?? "unmatched"
        let method = Self.methodLabel(request.method)
        let code = String(status.code)
        let seconds = elapsed.inSeconds
        requests.increment(method, route, code)
        duration.observe(seconds, method, route, code)
        if status.code >= 500 {
            guard logger.isEnabled(.error) else { return }
            let key = ErrorLogThrottle.Key(method: method, route: route, status: code)
            let decision = throttle.withLock { $0.decide(key, at: now()) }
            guard case .write(let suppressed) = decision else { return }
            var metadata = ["method": method, "route": route, "status": code]
            if suppressed > 0 { metadata["suppressed"] = String(suppressed) }
            logger.error("request failed", metadata)
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
