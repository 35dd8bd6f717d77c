import HTTP

/// The routes every service serves on its own port: /healthz, /readyz and /metrics.
public enum HealthRoutes {
    /// How long one evaluation of the readiness checks answers every /readyz.
    public static let readinessMaxAge: Duration = .seconds(1)

    /// Adds the three routes to `router`.
    ///
    /// /healthz answers 200 while the process can serve HTTP at all (liveness); it is public,
    /// runs on the event loop and touches nothing else. /readyz answers 200 or 503 from the
    /// readiness checks, run at most once per `readinessMaxAge` whoever asks (they call other
    /// services: a caller must not be able to multiply that), and lists each check's outcome
    /// only to a caller with the internal token. /metrics (Prometheus text) needs the internal
    /// token: it tells an outsider too much about the system.
    public static func register(on router: Router, service: String, readiness: ReadinessChecks,
                                metrics: MetricsRegistry, logger: Logger, token: InternalToken) {
        let healthy = HTTPResponse.json(status: .ok, object: .object(["status": .string("ok"), "service": .string(service)]))
        router.addInline(.GET, "/healthz") { _ in healthy }
        router.add(.GET, "/readyz") { request in
            let (ready, results) = await readiness.recentEvaluation(maxAge: readinessMaxAge, logger: logger)
            var body: [String: JSONValue] = ["status": .string(ready ? "ready" : "not_ready"), "service": .string(service)]
            if token.accepts(request.headers[InternalToken.headerName]) {
                body["checks"] = .object(results.mapValues { JSONValue.string($0) })
            }
            return .json(status: ready ? .ok : .serviceUnavailable, object: .object(body))
        }
        router.add(.GET, "/metrics", token.guarding { _ in
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            return HTTPResponse(status: .ok, headers: headers, body: Array(metrics.render().utf8))
        })
    }
}
