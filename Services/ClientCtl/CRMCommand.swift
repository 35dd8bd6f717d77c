import Foundation
import HTTP
import ServiceRuntime

/// `clientctl crm status | dead-letters [--company ID] | retry (--client ID | --company ID | --all)`:
/// the CRM sync as crm-sync sees it, and the operator's release of dead letters.
///
/// - `status`: per company with CRM settings: enabled, clients, pending changes, dead letters,
///   the last acknowledgement.
/// - `dead-letters`: each dead-lettered change (company, client, version, attempts, the CRM's
///   answer or the last failure); the client's later changes wait behind it.
/// - `retry`: releases dead letters (one client's, a company's, or all): each client's latest
///   version is sent again with a fresh count of attempts.
///
/// Needs `CRM_SYNC_URL` and `INTERNAL_TOKEN`. Exit 0 when done, 1 when crm-sync fails or
/// cannot be reached, 2 for a bad argument.
enum CRMCommand {
    static let usage = "usage: clientctl crm status | dead-letters [--company ID] | retry (--client ID | --company ID | --all)\n"

    static func run(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        let base = try environment.httpURL("CRM_SYNC_URL", default: "http://127.0.0.1:8185")
        guard let verb = arguments.first else {
            FileHandle.standardError.write(Data(usage.utf8))
            return 2
        }
        let token = InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(30)))
        defer { client.shutdown() }
        let headers: HTTPHeaders = [InternalToken.headerName: token.value, "Content-Type": "application/json"]
        let options = Array(arguments.dropFirst())
        let request: HTTPClientRequest
        switch (verb, options.count) {
        case ("status", 0):
            request = HTTPClientRequest(method: .GET, url: base + "/v1/crm/status", headers: headers)
        case ("dead-letters", 0):
            request = HTTPClientRequest(method: .GET, url: base + "/v1/crm/dead-letters", headers: headers)
        case ("dead-letters", 2) where options[0] == "--company" && UUID(uuidString: options[1]) != nil:
            request = HTTPClientRequest(method: .GET, url: base + "/v1/crm/dead-letters?tenantId=\(options[1].lowercased())", headers: headers)
        case ("retry", 1) where options[0] == "--all":
            request = HTTPClientRequest(method: .POST, url: base + "/v1/crm/dead-letters/retry", headers: headers, body: Array("{}".utf8))
        case ("retry", 2) where ["--client", "--company"].contains(options[0]) && UUID(uuidString: options[1]) != nil:
            let field = options[0] == "--client" ? "clientId" : "tenantId"
            request = HTTPClientRequest(method: .POST, url: base + "/v1/crm/dead-letters/retry", headers: headers,
                                        body: JSONValue.object([field: .string(options[1].lowercased())]).serialized())
        default:
            FileHandle.standardError.write(Data(usage.utf8))
            return 2
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request)
        } catch {
            FileHandle.standardError.write(Data("clientctl: crm-sync: \(error)\n".utf8))
            return 1
        }
        guard response.status.code == 200, let answer = try? JSONParser.parse(response.body) else {
            FileHandle.standardError.write(Data("clientctl: crm-sync: \(QuarantineCommand.Failed(service: "crm-sync", response: response))\n".utf8))
            return 1
        }
        print(table(verb, answer), terminator: "")
        return 0
    }

    static func table(_ verb: String, _ answer: JSONValue) -> String {
        func text(_ value: JSONValue?) -> String {
            switch value {
            case .string(let text)?: text
            case .int(let number)?: String(number)
            case .bool(let flag)?: flag ? "yes" : "no"
            default: "-"
            }
        }
        switch verb {
        case "status":
            guard case .array(let companies)? = answer["companies"], !companies.isEmpty else { return "no company has CRM settings\n" }
            var rows = [["COMPANY", "ENABLED", "CLIENTS", "PENDING", "DEAD LETTERS", "LAST SYNCED"]]
            for company in companies {
                rows.append(["tenantId", "enabled", "clients", "pending", "deadLetters", "lastSyncedAt"].map { text(company[$0]) })
            }
            return QuarantineCommand.aligned(rows)
        case "dead-letters":
            guard case .array(let letters)? = answer["deadLetters"], !letters.isEmpty else { return "no dead letters\n" }
            var rows = [["COMPANY", "CLIENT", "VERSION", "ATTEMPTS", "REASON"]]
            for letter in letters {
                rows.append(["tenantId", "clientId", "version", "attempts", "reason"].map { text(letter[$0]) })
            }
            return QuarantineCommand.aligned(rows)
        default:
            return "\(text(answer["retried"])) dead letters released\n"
        }
    }
}
