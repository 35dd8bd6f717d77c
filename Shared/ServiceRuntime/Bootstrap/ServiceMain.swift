import Foundation
import HTTP
#if canImport(Glibc)
import Glibc
#endif

/// The one way every Clientele executable starts: read configuration, set up logging,
/// metrics and the health routes, let the service add its own parts, run them all in a
/// `ServiceGroup`, and exit.
///
/// Common variables: `LOG_LEVEL` (debug, info, warning, error), `HTTP_HOST`, `HTTP_PORT`,
/// `HTTP_MAX_CONNECTIONS`, `HTTP_HEADER_TIMEOUT_MS`, `HTTP_IDLE_TIMEOUT_MS`,
/// `HTTP_REQUEST_TIMEOUT_MS`, `HTTP_MAX_PENDING_OUTPUT_BYTES`, `SHUTDOWN_GRACE_MS`. An invalid
/// value prints one line naming the variable to standard error and exits with status 78
/// (EX_CONFIG).
public enum ServiceMain {
    public static func run(name: String, defaultPort: Int,
                           environment: EnvironmentReader = EnvironmentReader(),
                           configure: (inout ServiceSetup) async throws -> Void) async -> Never {
        do {
            let levelName = environment.string("LOG_LEVEL", default: "info")
            guard let level = LogLevel(name: levelName) else {
                throw ConfigurationError(variable: "LOG_LEVEL", problem: "expected debug, info, warning or error, got \"\(levelName.prefix(40))\"")
            }
            let logger = Logger(service: name, level: level)
            let metrics = MetricsRegistry()
            let readiness = ReadinessChecks()
            let router = Router()
            var http = HTTPServerConfiguration()
            http.host = environment.string("HTTP_HOST", default: "127.0.0.1")
            http.port = try environment.port("HTTP_PORT", default: defaultPort)
            http.maxConnections = try environment.int("HTTP_MAX_CONNECTIONS", default: http.maxConnections, in: 1...1_000_000)
            http.headerTimeout = try environment.milliseconds("HTTP_HEADER_TIMEOUT_MS", default: http.headerTimeout, in: 100...600_000)
            http.idleTimeout = try environment.milliseconds("HTTP_IDLE_TIMEOUT_MS", default: http.idleTimeout, in: 100...3_600_000)
            http.requestTimeout = try environment.milliseconds("HTTP_REQUEST_TIMEOUT_MS", default: http.requestTimeout, in: 100...3_600_000)
            http.maxPendingOutputBytes = try environment.int("HTTP_MAX_PENDING_OUTPUT_BYTES", default: http.maxPendingOutputBytes,
                                                             in: 4096...1_073_741_824)
            let grace = try environment.milliseconds("SHUTDOWN_GRACE_MS", default: .seconds(20), in: 0...600_000)
            http.shutdownGracePeriod = grace

            var setup = ServiceSetup(name: name, environment: environment, logger: logger, metrics: metrics,
                                     readiness: readiness, router: router, httpConfiguration: http)
            // Every service shares the internal token: it guards /metrics and /readyz's details
            // (read before anything connects, so a missing one stops the service at once).
            HealthRoutes.register(on: router, service: name, readiness: readiness, metrics: metrics, logger: logger,
                                  token: try setup.requireInternalToken())
            try await configure(&setup)

            let server = HTTPServer(configuration: setup.httpConfiguration, router: router,
                                    observer: RequestObserver(metrics: metrics, logger: logger))
            let group = ServiceGroup(services: setup.services + [HTTPServerService(server: server, readiness: readiness, logger: logger)],
                                     logger: logger, gracePeriod: grace)
            logger.info("starting", ["version": ClienteleVersion.current])
            var status: Int32 = 0
            do {
                try await group.run()
            } catch {
                logger.error("exiting after a failure", ["error": String(describing: error)])
                status = 1
            }
            for hook in setup.shutdownHooks { await hook() }
            exit(status)
        } catch let error as ConfigurationError {
            FileHandle.standardError.write(Data("\(name): \(error)\n".utf8))
            exit(78)
        } catch {
            Logger(service: name).error("failed to start", ["error": String(describing: error)])
            exit(1)
        }
    }
}

/// The version string services log at start and report in /healthz.
public enum ClienteleVersion {
    public static let current = "0.1.0"
}
