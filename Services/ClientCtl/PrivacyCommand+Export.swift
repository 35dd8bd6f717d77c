import Foundation
import HTTP
import ServiceRuntime

/// `clientctl privacy export CLIENT [--output FILE]`: a client's own data (APP 12) through the
/// gateway's `GET /api/admin/clients/:id/export`, the same document the admin API answers.
///
/// The export is a read of a client's data by a person, recorded in the care access log under
/// that person, so it runs as a staff user: `STAFF_SESSION_TOKEN` is a session token of a user
/// with `clients.admin` and `clients.export` (the `token` of `POST /api/auth/login`).
/// `CLIENT` is the admin API's id (`client_<number>`) or the number. The document (the answer's
/// `data`) goes to FILE, created readable by its owner only, or to standard output. Needs
/// `GATEWAY_URL`. Exit 0 when written, 1 when the gateway refuses or cannot be reached, 2 for a
/// bad argument.
extension PrivacyCommand {
    static func export(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        guard let parsed = parse(Array(arguments.dropFirst())) else { return bad("export needs CLIENT [--output FILE]") }
        let base = try environment.httpURL("GATEWAY_URL", default: "http://127.0.0.1:8080")
        // Given per run (a session expires), so not part of a deployment's environment.
        guard let token = environment.values["STAFF_SESSION_TOKEN"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            FileHandle.standardError.write(Data("clientctl: privacy export needs STAFF_SESSION_TOKEN (a staff session token)\n".utf8))
            return 2
        }
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(120), retries: 0))
        defer { client.shutdown() }
        do {
            let response = try await client.execute(HTTPClientRequest(
                method: .GET, url: base + "/api/admin/clients/\(parsed.client)/export", headers: ["Authorization": "Bearer \(token)"]))
            let body = try? JSONParser.parse(response.body)
            guard response.status.code == 200, let document = body?["data"] else {
                var message = String(decoding: response.body.prefix(300), as: UTF8.self)
                if case .string(let text)? = body?["message"] { message = text }
                FileHandle.standardError.write(Data("clientctl: the gateway answered \(response.status.code): \(message)\n".utf8))
                return 1
            }
            let bytes = Data(document.serialized() + Array("\n".utf8))
            if let output = parsed.output {
                guard FileManager.default.createFile(atPath: output, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
                    FileHandle.standardError.write(Data("clientctl: cannot write \(output)\n".utf8))
                    return 1
                }
                FileHandle.standardError.write(Data("wrote the export of \(parsed.client) to \(output)\n".utf8))
            } else {
                FileHandle.standardOutput.write(bytes)
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("clientctl: privacy export failed: \(error)\n".utf8))
            return 1
        }
    }

    /// `CLIENT [--output FILE]`, the client as `client_<number>`; nil when malformed.
    static func parse(_ arguments: [String]) -> (client: String, output: String?)? {
        guard let first = arguments.first else { return nil }
        let digits = first.hasPrefix("client_") ? String(first.dropFirst(7)) : first
        guard let number = Int64(digits), number > 0, String(number) == digits else { return nil }
        switch arguments.count {
        case 1: return ("client_\(number)", nil)
        case 3 where arguments[1] == "--output" && !arguments[2].isEmpty: return ("client_\(number)", arguments[2])
        default: return nil
        }
    }
}
