import HTTP

/// A `Router` served by the project's `HTTPServer` inside the test process, on 127.0.0.1
/// and a port the system picked (port 0): a route's behaviour over real HTTP without
/// starting a service process. `FakeUpstream` and the gateway harness (GatewayTests) are
/// built on it.
public final class InProcessServer: Sendable {
    public let server: HTTPServer
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private let task: Task<Void, any Error>

    /// Starts serving `router` and returns once the port is bound.
    public static func start(_ router: Router, configuration: HTTPServerConfiguration = HTTPServerConfiguration(eventLoopCount: 1),
                             observer: (any HTTPServerObserver)? = nil) async throws -> InProcessServer {
        var configuration = configuration
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration, router: router, observer: observer)
        let task = Task { try await server.run() }
        do {
            return InProcessServer(server: server, port: try await server.boundPort(), task: task)
        } catch {
            task.cancel()
            throw error
        }
    }

    private init(server: HTTPServer, port: Int, task: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.task = task
    }

    /// Stops accepting, lets requests in flight finish (up to the grace period) and waits
    /// for the server to end.
    public func stop() async throws {
        server.beginGracefulShutdown()
        try await task.value
    }
}
