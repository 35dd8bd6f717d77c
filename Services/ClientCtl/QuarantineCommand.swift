import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `clientctl quarantine list [--json] | retry STREAM | skip STREAM --by NAME`: the streams
/// the projections parked (an event they could not apply holds its stream back; every other
/// stream goes on), and the operator's two ways to release one.
///
/// - `list`: each parked stream of each projection (search, stats, and a running rebuild's),
///   with the first parked version, how many events wait, and why; then the latest skips.
/// - `retry`: applies the stream's parked events again, in order, in every projection where
///   it is parked (after the cause was removed: a read model fixed, a limit raised). If they
///   still fail nothing changes and the reason is printed (exit 1).
/// - `skip`: applies what can be applied and passes over each event that cannot, recording
///   who skipped it, what and when (`projection_passed_events`, shown by `list`). Nothing is
///   skipped without that record.
///
/// Needs `SEARCH_SERVICE_URL`, `STATS_SERVICE_URL` and `INTERNAL_TOKEN`. Exit 0 when done, 1 when
/// a service fails or cannot be reached (or, for retry and skip, the stream is parked nowhere),
/// 2 for a bad argument.
enum QuarantineCommand {
    static let usage = "usage: clientctl quarantine list [--json] | retry STREAM | skip STREAM --by NAME\n"

    static func run(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        let services: [(String, String)] = [
            ("search-projection", try environment.httpURL("SEARCH_SERVICE_URL", default: "http://127.0.0.1:8182")),
            ("stats-projection", try environment.httpURL("STATS_SERVICE_URL", default: "http://127.0.0.1:8183")),
        ]
        guard let verb = arguments.first else {
            FileHandle.standardError.write(Data(usage.utf8))
            return 2
        }
        let token = InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
        var config = HTTPClientConfiguration()
        config.requestTimeout = .seconds(60)
        let client = HTTPClient(configuration: config)
        defer { client.shutdown() }
        let headers: HTTPHeaders = [InternalToken.headerName: token.value, "Content-Type": "application/json"]
        switch verb {
        case "list":
            let json = arguments.dropFirst().contains("--json")
            guard arguments.count == 1 || (arguments.count == 2 && json) else { break }
            var reports: [QuarantineReport] = []
            var failed = false
            for (name, base) in services {
                do {
                    let response = try await client.execute(HTTPClientRequest(method: .GET, url: base + InternalPaths.quarantine,
                                                                              headers: headers))
                    guard response.status.code == 200 else { throw Failed(service: name, response: response) }
                    reports.append(try InternalJSON.decoder().decode(QuarantineReport.self, from: Data(response.body)))
                } catch {
                    failed = true
                    FileHandle.standardError.write(Data("clientctl: \(name): \(error)\n".utf8))
                }
            }
            print(json ? try Self.json(reports) : Self.table(reports), terminator: "")
            return failed ? 1 : 0
        case "retry", "skip":
            guard arguments.count >= 2, let stream = UUID(uuidString: arguments[1]) else { break }
            var body: [UInt8] = []
            if verb == "skip" {
                guard arguments.count == 4, arguments[2] == "--by", !arguments[3].isEmpty else { break }
                body = JSONValue.object(["by": .string(arguments[3])]).serialized()
            } else if arguments.count != 2 {
                break
            }
            let path = verb == "retry" ? InternalPaths.quarantineRetry(stream) : InternalPaths.quarantineSkip(stream)
            var released = 0
            var failed = false
            for (name, base) in services {
                do {
                    let response = try await client.execute(HTTPClientRequest(method: .POST, url: base + path, headers: headers,
                                                                              body: body))
                    if response.status.code == 404 { continue }
                    guard response.status.code == 200 else { throw Failed(service: name, response: response) }
                    let release = try InternalJSON.decoder().decode(QuarantineRelease.self, from: Data(response.body))
                    released += 1
                    print("\(release.projection): \(release.applied) applied, \(release.duplicates) already applied, "
                          + "\(release.passed.count) skipped; stream at version \(release.version.map(String.init) ?? "none")")
                    for event in release.passed {
                        print("  skipped version \(event.version) (\(event.eventType)): \(event.reason)")
                    }
                } catch {
                    failed = true
                    FileHandle.standardError.write(Data("clientctl: \(name): \(error)\n".utf8))
                }
            }
            if released == 0 && !failed {
                FileHandle.standardError.write(Data("clientctl: stream \(stream.uuidString.lowercased()) is not parked\n".utf8))
                return 1
            }
            return failed ? 1 : 0
        default:
            break
        }
        FileHandle.standardError.write(Data(usage.utf8))
        return 2
    }

    static func table(_ reports: [QuarantineReport]) -> String {
        let parked = reports.flatMap(\.parked)
        var out = ""
        if parked.isEmpty {
            out += "no parked streams\n"
        } else {
            var rows = [["PROJECTION", "STREAM", "TENANT", "FIRST", "LAST", "EVENTS", "TYPE", "PARKED AT", "REASON"]]
            for stream in parked {
                rows.append([stream.projection, stream.streamId.uuidString.lowercased(), stream.tenantId.uuidString.lowercased(),
                             String(stream.firstVersion), String(stream.lastVersion), String(stream.events), stream.eventType,
                             stream.parkedAt.ISO8601Format(), stream.reason])
            }
            out += aligned(rows)
        }
        let passed = reports.flatMap(\.passed)
        if !passed.isEmpty {
            var rows = [["PROJECTION", "STREAM", "VERSION", "TYPE", "SKIPPED BY", "SKIPPED AT", "REASON"]]
            for event in passed {
                rows.append([event.projection, event.streamId.uuidString.lowercased(), String(event.version), event.eventType,
                             event.passedBy, event.passedAt.ISO8601Format(), event.reason])
            }
            out += "\nSKIPPED EVENTS (latest first)\n" + aligned(rows)
        }
        return out
    }

    static func json(_ reports: [QuarantineReport]) throws -> String {
        let encoder = InternalJSON.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(reports), as: UTF8.self) + "\n"
    }

    static func aligned(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    struct Failed: Error, CustomStringConvertible {
        var service: String
        var response: HTTPClientResponse
        var description: String {
            "answered \(response.status.code): \(String(decoding: response.body.prefix(500), as: UTF8.self))"
        }
    }
}
