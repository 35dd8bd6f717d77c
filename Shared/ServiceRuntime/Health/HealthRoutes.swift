import HTTP

/// The routes every service serves on its own port: /healthz, /readyz and /metrics.
public enum HealthRoutes {
    /// Adds the three routes to `router`.
    ///
    /// /healthz answers 200 while the process can serve HTTP at all (liveness); it runs on
    /// the event loop and touches nothing else. /readyz runs the readiness checks and answers
    /// 200 or 503 with each check's outcome. /metrics renders the registry as Prometheus text.
    public static func register(on router: Router, service: String, readiness: ReadinessChecks,
                                metrics: MetricsRegistry, logger: Logger) {
        let healthy = HTTPResponse.json(status: .ok, object: .object(["status": .string("ok"), "service": .string(service)]))
        router.addInline(.GET, "/healthz") { _ in healthy }
        router.add(.GET, "/readyz") { _ in
            let (ready, results) = await readiness.evaluate(logger: logger)
            let checks = JSONValue.object(results.mapValues { JSONValue.string($0) })
            return .json(status: ready ? .ok : .serviceUnavailable,
                         object: .object(["status": .string(ready ? "ready" : "not_ready"), "service": .string(service), "checks": checks]))
        }
        router.add(.GET, "/metrics") { _ in
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            return HTTPResponse(status: .ok, headers: headers, body: Array(metrics.render().utf8))
        }
    }
}
