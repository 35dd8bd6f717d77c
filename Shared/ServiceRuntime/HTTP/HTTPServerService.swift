import HTTP

/// Runs an `HTTPServer` as a `Service`: serves until asked to stop, then drains.
///
/// On graceful shutdown it first marks the service as draining (so /readyz answers 503),
/// then lets the server stop accepting and finish in-flight requests.
public struct HTTPServerService: Service {
    public let name = "http-server"
    public let server: HTTPServer
    public let readiness: ReadinessChecks
    public let logger: Logger

    public init(server: HTTPServer, readiness: ReadinessChecks, logger: Logger) {
        self.server = server
        self.readiness = readiness
        self.logger = logger
    }

    public func run() async throws {
        GracefulShutdown.onRequest { [server, readiness] in
            readiness.beginDraining()
            server.beginGracefulShutdown()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            group.addTask { [server, logger] in
                let port = try await server.boundPort()
                logger.info("listening", ["port": String(port)])
            }
            try await group.waitForAll()
        }
    }
}
