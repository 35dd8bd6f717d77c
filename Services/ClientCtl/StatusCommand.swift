import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `clientctl status [--json]`: each projection's position against the log's end per
/// partition (its lag), and the command service's outbox backlog and oldest entry's age.
///
/// Asks each service's internal status route (`InternalPaths.status`, guarded by the internal
/// token): the command service (`COMMAND_SERVICE_URL`), the search projection
/// (`SEARCH_SERVICE_URL`) and the stats projection (`STATS_SERVICE_URL`). A service that
/// answers without that route (404) keeps no projection yet and is listed as not running; one
/// that cannot be reached is listed as unreachable.
/// Prints a table, or with `--json` one JSON object (`StatusReport`). Exit 0 when every service
/// answered, 1 when one could not be reached or failed (each named on standard error), 2 for
/// a bad argument; 78 for bad configuration (thrown to the caller).
enum StatusCommand {
    static let usage = "usage: clientctl status [--json]\n"

    static func run(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        guard arguments.isEmpty || arguments == ["--json"] else {
            FileHandle.standardError.write(Data(usage.utf8))
            return 2
        }
        let token = InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
        let command = try environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")
        let projectionServices = [
            (service: "search-projection", expected: "search",
             url: try environment.httpURL("SEARCH_SERVICE_URL", default: "http://127.0.0.1:8182")),
            (service: "stats-projection", expected: "stats",
             url: try environment.httpURL("STATS_SERVICE_URL", default: "http://127.0.0.1:8183")),
        ]
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(5), retries: 1))
        defer { client.shutdown() }

        var failures: [StatusReport.Failure] = []
        func ask(_ service: String, _ url: String) async -> Answer {
            do {
                return try await fetch(client, url + InternalPaths.status, token: token)
            } catch {
                failures.append(StatusReport.Failure(service: service, url: url, error: String(describing: error)))
                return .failed
            }
        }
        var outbox: ServiceStatus?
        switch await ask("command-service", command) {
        case .status(let status) where status.outbox != nil:
            outbox = status
        case .status, .noStatusRoute:
            failures.append(StatusReport.Failure(service: "command-service", url: command, error: "reported no outbox"))
        case .failed:
            break
        }
        var answers: [(service: String, expected: String, answer: Answer)] = []
        for entry in projectionServices {
            answers.append((entry.service, entry.expected, await ask(entry.service, entry.url)))
        }

        let report = StatusReport.make(outbox: outbox, projectionServices: answers, failures: failures)
        FileHandle.standardOutput.write(Data((arguments == ["--json"] ? try report.json() : report.table()).utf8))
        for failure in failures {
            FileHandle.standardError.write(Data("clientctl: \(failure.service) at \(failure.url): \(failure.error)\n".utf8))
        }
        return failures.isEmpty ? 0 : 1
    }

    /// What a service answered to the status route.
    enum Answer {
        case status(ServiceStatus)
        /// It answered 404: it has no status route (nothing running to report).
        case noStatusRoute
        /// Recorded in the failures.
        case failed
    }

    /// Calls the status route; throws when the service cannot be reached or answers anything
    /// but 200 or 404.
    static func fetch(_ client: HTTPClient, _ url: String, token: InternalToken) async throws -> Answer {
        let response = try await client.execute(HTTPClientRequest(method: .GET, url: url,
                                                                  headers: [InternalToken.headerName: token.value]))
        switch response.status.code {
        case 200:
            do {
                return .status(try InternalJSON.decoder().decode(ServiceStatus.self, from: Data(response.body)))
            } catch {
                throw StatusUnavailable(detail: "answered an unreadable status: \(error)")
            }
        case 404:
            return .noStatusRoute
        default:
            throw StatusUnavailable(detail: "answered \(response.status.code): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
    }

    struct StatusUnavailable: Error, CustomStringConvertible {
        var detail: String
        var description: String { detail }
    }
}
