import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `clientctl rebuild search|stats`: starts a rebuild of that projection's read model by
/// replaying the events topic, then shows one progress line (events applied, events/s) until
/// it swapped in.
///
/// Needs the projection's address (`SEARCH_SERVICE_URL` or `STATS_SERVICE_URL`) and
/// `INTERNAL_TOKEN` (the token the services share). The service keeps serving from its live
/// tables meanwhile. If a rebuild is already running this follows it. Exit 0 when done, 1
/// when the service fails or cannot be reached, 2 for a bad argument.
enum RebuildCommand {
    static func run(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        // Each projection's address: its variable and the local stack's default (literal names,
        // so the deployment tests see every variable clientctl reads).
        let base: String
        switch arguments.count == 1 ? arguments[0] : "" {
        case "search": base = try environment.httpURL("SEARCH_SERVICE_URL", default: "http://127.0.0.1:8182")
        case "stats": base = try environment.httpURL("STATS_SERVICE_URL", default: "http://127.0.0.1:8183")
        default:
            FileHandle.standardError.write(Data("usage: clientctl rebuild search|stats\n".utf8))
            return 2
        }
        let name = arguments[0]
        let token = InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
        var config = HTTPClientConfiguration()
        config.requestTimeout = .seconds(30)
        let client = HTTPClient(configuration: config)
        defer { client.shutdown() }
        let interactive = isatty(STDOUT_FILENO) == 1
        do {
            var progress = try await call(client, .POST, base + InternalPaths.rebuild, token: token)
            while progress.state == .running {
                let line = "rebuilding \(name): \(progress.eventsApplied) events applied, "
                    + String(format: "%.0f", progress.eventsPerSecond) + " events/s"
                // Unbuffered, so the line shows at once; on a terminal it is rewritten in place.
                FileHandle.standardOutput.write(Data((interactive ? "\r" + line + "   " : line + "\n").utf8))
                try await Task.sleep(for: .seconds(interactive ? 0.5 : 2))
                progress = try await call(client, .GET, base + InternalPaths.rebuild, token: token)
            }
            if interactive { FileHandle.standardOutput.write(Data("\n".utf8)) }
            guard progress.state == .done else {
                FileHandle.standardError.write(Data("clientctl: the rebuild is not running (state \(progress.state.rawValue))\n".utf8))
                return 1
            }
            FileHandle.standardOutput.write(Data("rebuild of \(name) done: \(progress.eventsApplied) events applied\n".utf8))
            return 0
        } catch {
            if interactive { FileHandle.standardOutput.write(Data("\n".utf8)) }
            FileHandle.standardError.write(Data("clientctl: rebuild failed: \(error)\n".utf8))
            return 1
        }
    }

    static func call(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, token: InternalToken) async throws -> RebuildProgress {
        let response = try await client.execute(HTTPClientRequest(method: method, url: url, headers: [InternalToken.headerName: token.value]))
        guard (200..<300).contains(response.status.code) else {
            throw RebuildFailed(detail: "\(method) \(url) answered \(response.status.code): \(String(decoding: response.body.prefix(500), as: UTF8.self))")
        }
        return try InternalJSON.decoder().decode(RebuildProgress.self, from: Data(response.body))
    }

    struct RebuildFailed: Error, CustomStringConvertible {
        var detail: String
        var description: String { detail }
    }
}
