import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `clientctl documents verify [--json]`: has the document store rehash every file against its
/// metadata and prints what is missing (a document whose file is gone), corrupt (size or
/// SHA-256 differ) and orphaned (a file or temporary file no document names; the sweep removes
/// those past its grace period). Ids and digests only: names are personal data.
///
/// Needs `DOCUMENT_SERVICE_URL` and `INTERNAL_TOKEN`. Exit 0 when clean, 1 when anything is
/// reported or the store cannot be reached, 2 for a bad argument.
enum DocumentsCommand {
    static let usage = "usage: clientctl documents verify [--json]\n"

    static func run(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        guard arguments.first == "verify", arguments.count <= 2, arguments.count == 1 || arguments[1] == "--json" else {
            FileHandle.standardError.write(Data(usage.utf8))
            return 2
        }
        let json = arguments.count == 2
        let base = try environment.httpURL("DOCUMENT_SERVICE_URL", default: "http://127.0.0.1:8184")
        let token = InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
        // Rehashing every file takes as long as reading the volume.
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(3600), retries: 0))
        defer { client.shutdown() }
        let report: DocumentVerifyReport
        do {
            let response = try await client.execute(HTTPClientRequest(method: .POST, url: base + InternalPaths.documentVerification,
                                                                      headers: [InternalToken.headerName: token.value]))
            guard response.status.code == 200 else {
                throw DocumentsCommandFailed(detail: "the document store answered \(response.status.code): "
                                                 + String(decoding: response.body.prefix(500), as: UTF8.self))
            }
            report = try DocumentVerifyReport(json: JSONParser.parse(response.body))
        } catch {
            FileHandle.standardError.write(Data("clientctl: documents verify failed: \(error)\n".utf8))
            return 1
        }
        if json {
            print(String(decoding: report.json.serialized(), as: UTF8.self))
        } else {
            print("checked \(report.checked) documents: \(report.missing.count) missing, \(report.corrupt.count) corrupt, "
                  + "\(report.orphaned.count) orphaned files")
            for id in report.missing { print("missing   \(id.lowercasedString)") }
            for id in report.corrupt { print("corrupt   \(id.lowercasedString)") }
            for file in report.orphaned { print("orphaned  \(file)") }
        }
        return report.isClean ? 0 : 1
    }
}

struct DocumentsCommandFailed: Error, CustomStringConvertible {
    var detail: String
    var description: String { detail }
}
