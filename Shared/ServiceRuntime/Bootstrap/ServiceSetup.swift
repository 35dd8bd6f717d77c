import Errors
import HTTP

/// What a service's `main` builds before it runs: its routes, its background services and
/// its readiness checks, on top of the shared logger, metrics and configuration.
public struct ServiceSetup: Sendable {
    /// The service's name, as it appears in logs and metrics (`gateway`, `command-service`…).
    public let name: String
    public let environment: EnvironmentReader
    public let logger: Logger
    public let metrics: MetricsRegistry
    public let readiness: ReadinessChecks
    public let router: Router
    /// The HTTP server's settings, read from `HTTP_*` variables; a service may adjust them.
    public var httpConfiguration: HTTPServerConfiguration
    /// Long-running parts started before the HTTP server and stopped after it.
    public var services: [any Service] = []
    /// Work to do after every service has stopped (closing pools, flushing producers).
    public var shutdownHooks: [@Sendable () async -> Void] = []
    /// Wrappers around the handler of every route that `route` (and `notBuiltYet`) adds after
    /// they are set, for concerns all of a service's routes share (the gateway's rate-limit
    /// headers). They run inside the request context, the first one outermost; routes added
    /// earlier, and the health routes, are not wrapped.
    public var routeMiddleware: [@Sendable (@escaping HTTPHandler) -> HTTPHandler] = []

    init(name: String, environment: EnvironmentReader, logger: Logger, metrics: MetricsRegistry,
         readiness: ReadinessChecks, router: Router, httpConfiguration: HTTPServerConfiguration) {
        self.name = name
        self.environment = environment
        self.logger = logger
        self.metrics = metrics
        self.readiness = readiness
        self.router = router
        self.httpConfiguration = httpConfiguration
    }

    /// Adds a route whose handler runs with request and correlation ids set (see `RequestContext`).
    public func route(_ method: HTTPMethod, _ pattern: String, options: RouteOptions = RouteOptions(),
                      _ handler: @escaping HTTPHandler) {
        let wrapped = routeMiddleware.reversed().reduce(handler) { inner, wrap in wrap(inner) }
        router.add(method, pattern, options: options, RequestContext.wrap(wrapped))
    }

    /// Adds routes under `prefix` (every method, any sub-path) answering 501 with a message
    /// saying which issue builds them: never a fake result.
    public func notBuiltYet(_ prefix: String, what: String) {
        let response = HTTPResponse(error: ClienteleError(.notImplemented, "\(what) is not built yet"))
        for method in [HTTPMethod.GET, .POST, .PUT, .PATCH, .DELETE] {
            route(method, prefix) { _ in response }
            route(method, prefix + "/*") { _ in response }
        }
    }
}

