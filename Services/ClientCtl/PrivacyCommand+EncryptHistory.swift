import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `clientctl privacy encrypt-history`: seals the events stored before sealing existed, then
/// republishes the store so the log carries them sealed (a new log epoch: every projection
/// reads the log again from the start, skipping what it applied).
///
/// Resumable: the command service seals stream by stream, a step of streams per transaction,
/// and leaves sealed events alone, so running it again after an interruption goes through the
/// streams again and rewrites only what is left. Needs `COMMAND_SERVICE_URL` and
/// `INTERNAL_TOKEN`. Exit 0 when sealed and republished, 1 when the service fails or cannot be
/// reached, 2 for a bad argument.
///
/// The old log's records stay on the topic after the republish: for the personal data in
/// them to be gone, the topic must be deleted and created again before republishing
/// (docs/operations.md, "Personal data in the log").
extension PrivacyCommand {
    static func encryptHistory(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        guard arguments == ["encrypt-history"] else { return bad("encrypt-history takes no arguments") }
        let base = try environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")
        let token = InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(300), retries: 0))
        defer { client.shutdown() }
        var after: UUID?
        var streams = 0
        var sealed = 0
        do {
            while true {
                let body = try InternalJSON.encoder().encode(HistorySealingStep.Request(after: after))
                let response = try await client.execute(HTTPClientRequest(
                    method: .POST, url: base + InternalPaths.encryptHistory,
                    headers: [InternalToken.headerName: token.value, "Content-Type": "application/json"], body: Array(body)))
                guard response.status.code == 200 else {
                    throw RebuildCommand.RebuildFailed(detail: "\(InternalPaths.encryptHistory) answered \(response.status.code): "
                                                       + String(decoding: response.body.prefix(500), as: UTF8.self))
                }
                let step = try InternalJSON.decoder().decode(HistorySealingStep.self, from: Data(response.body))
                streams += step.streams
                sealed += step.eventsSealed
                guard let last = step.lastStream else { break }
                after = last
                print("sealing the stored history: \(streams) streams gone through, \(sealed) events sealed")
            }
        } catch {
            FileHandle.standardError.write(Data("clientctl: sealing the stored history failed: \(error)\n".utf8))
            return 1
        }
        print("the stored history is sealed: \(streams) streams, \(sealed) events sealed now; republishing")
        return try await RepublishCommand.run(arguments: [], environment: environment)
    }
}
