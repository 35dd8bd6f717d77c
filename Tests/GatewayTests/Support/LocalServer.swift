import HTTP

/// A router served on 127.0.0.1 and a free port until `stop()`.
struct LocalServer: Sendable {
    let baseURL: String
    private let server: HTTPServer
    private let task: Task<Void, any Error>

    /// Serves `router`, whose routes must all be added already (the server compiles them as it starts).
    init(_ router: Router) async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(eventLoopCount: 1), router: router)
        self.server = server
        task = Task { try await server.run() }
        baseURL = "http://127.0.0.1:\(try await server.boundPort())"
    }

    func stop() async {
        server.beginGracefulShutdown()
        _ = try? await task.value
    }
}
