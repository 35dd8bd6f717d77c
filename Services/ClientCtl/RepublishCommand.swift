import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `clientctl republish`: has the command service republish its whole event store into the
/// events topic, then shows one progress line (events published of the total, events/s)
/// until done. `--status` shows the latest republish (following it while it runs) without
/// starting one.
///
/// Needs `COMMAND_SERVICE_URL` and `INTERNAL_TOKEN`. The command service does the work (it
/// owns the store) and records its progress, so interrupting this command stops nothing: run
/// it again to follow the running republish, or if the service itself died, the next relay
/// continues where it was. Exit 0 when done, 1 when the service fails or cannot be reached,
/// 2 for a bad argument.
enum RepublishCommand {
    static let usage = "usage: clientctl republish [--status]\n"

    static func run(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        guard arguments.isEmpty || arguments == ["--status"] else {
            FileHandle.standardError.write(Data(usage.utf8))
            return 2
        }
        let base = try environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")
        let token = InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
        var config = HTTPClientConfiguration()
        config.requestTimeout = .seconds(30)
        let client = HTTPClient(configuration: config)
        defer { client.shutdown() }
        let interactive = isatty(STDOUT_FILENO) == 1
        do {
            var progress = try await call(client, arguments.isEmpty ? .POST : .GET, base + InternalPaths.republish, token: token)
            if progress.state == .idle {
                print("the event store was never republished")
                return 0
            }
            var epoch = progress.epoch
            while progress.state == .running {
                if progress.epoch != epoch {
                    write("\nthe broker lost the log again: republishing from the start in epoch \(progress.epoch)\n")
                    epoch = progress.epoch
                }
                let line = "republishing into \(progress.topic ?? "?") (epoch \(progress.epoch), \(progress.reason ?? "?")): "
                    + "\(progress.eventsPublished) of \(progress.totalEvents) events, "
                    + String(format: "%.0f", progress.eventsPerSecond) + " events/s"
                // On a terminal the line is rewritten in place.
                write(interactive ? "\r" + line + "   " : line + "\n")
                try await Task.sleep(for: .seconds(interactive ? 0.5 : 2))
                progress = try await call(client, .GET, base + InternalPaths.republish, token: token)
            }
            if interactive { write("\n") }
            guard progress.state == .done else {
                FileHandle.standardError.write(Data("clientctl: the republish of epoch \(progress.epoch) ended \(progress.state.rawValue)\n".utf8))
                return 1
            }
            write("republish of epoch \(progress.epoch) done: \(progress.eventsPublished) events published into \(progress.topic ?? "?")"
                  + " (\(progress.reason ?? "?")). The log may hold some events twice; consumers skip those by stream version.\n")
            return 0
        } catch {
            if interactive { write("\n") }
            FileHandle.standardError.write(Data("clientctl: republish failed: \(error)\n".utf8))
            return 1
        }
    }

    /// Unbuffered, so a progress line shows at once.
    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func call(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, token: InternalToken) async throws -> RepublishProgress {
        let response = try await client.execute(HTTPClientRequest(method: method, url: url, headers: [InternalToken.headerName: token.value]))
        guard (200..<300).contains(response.status.code) else {
            throw RebuildCommand.RebuildFailed(detail: "\(method) \(url) answered \(response.status.code): \(String(decoding: response.body.prefix(500), as: UTF8.self))")
        }
        return try InternalJSON.decoder().decode(RepublishProgress.self, from: Data(response.body))
    }
}
