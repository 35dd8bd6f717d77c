import Foundation
import HTTP
import ServiceRuntime

/// The operator CLI's commands and their dispatch.
///
/// Service addresses come from the same variables the gateway reads (`COMMAND_SERVICE_URL`
/// and friends, plus `GATEWAY_URL` and `CRM_SYNC_URL`), with the local stack's defaults.
enum ClientCtl {
    static let usage = """
    usage: clientctl <command>

    commands:
      health              show each service's readiness (/readyz); exit 1 if any is not ready
      company create NAME create a company (tenant); needs DATABASE_URL (the gateway's database)
      company time-zone <id|name> ZONE
                          set the IANA time zone (default Australia/Sydney) the company's care
                          appointments are given and shown in; needs DATABASE_URL
      api-key issue --company <id|name> [--permissions a,b]
                          issue an API key and print it once; needs DATABASE_URL
      api-key revoke <id> revoke an API key at once; needs DATABASE_URL
      create-admin --email EMAIL [--name NAME]
                          create a super-admin; the password comes from ADMIN_PASSWORD, else the
                          first line of standard input; needs DATABASE_URL
      audit export [--client N] [--user ID] [--from T] [--to T]
                          the care access audit as JSON lines on standard output, oldest first;
                          needs DATABASE_URL
      rebuild search      rebuild the search read model by replaying the events topic, showing progress
      rebuild stats       rebuild the stats read model the same way
      status [--json]     each projection's position against the log end (lag) and the outbox
                          backlog; needs INTERNAL_TOKEN; exit 1 if a service does not answer
      quarantine list [--json]
                          the streams the projections parked (an event they could not apply holds
                          its stream back) and the latest skipped events
      quarantine retry STREAM
                          apply a parked stream's events again, once the cause is removed
      quarantine skip STREAM --by NAME
                          release a parked stream: apply what applies, skip (and record, with NAME)
                          each event that cannot be applied
      republish [--status]
                          republish the whole event store into the events topic (after the broker
                          lost its log, or into a fresh topic), showing progress; --status shows
                          the latest republish without starting one
      documents verify [--json]
                          rehash every document file against its metadata; report missing, corrupt
                          and orphaned files; needs INTERNAL_TOKEN; exit 1 if anything is reported
      crm status          per company: CRM sync enabled, clients, pending changes, dead letters,
                          last acknowledgement; needs INTERNAL_TOKEN
      crm dead-letters [--company ID]
                          the changes the CRM sync gave up on (a client's later changes wait behind)
      crm retry (--client ID | --company ID | --all)
                          send the dead-lettered clients' latest versions again
      privacy erase CLIENT_UUID
                          erase a client everywhere (key, read models, documents, CRM) and print
                          its receipt; run again to resume the steps left
      privacy purge --terminated-before YYYY-MM-DD [--yes]
                          erase the care clients terminated before the date (NDIS providers keep
                          records seven years: the NDIS record-keeping period); lists without --yes
      privacy encrypt-history
                          seal the personal data of the events stored before sealing existed, then
                          republish the store (resumable: run it again after an interruption)
      privacy export CLIENT [--output FILE]
                          a client's own data (APP 12: every face, documents, care records, history,
                          access log) as one JSON document, from the gateway's admin export;
                          CLIENT is client_<number> or the number; needs STAFF_SESSION_TOKEN (a
                          session of a user with clients.export: the read is logged under it);
                          FILE is created readable by its owner only, else standard output
      help                show this text
    """

    static func run(arguments: [String]) async -> Int32 {
        guard let command = arguments.first else {
            print(usage)
            return 2
        }
        switch command {
        case "help", "--help", "-h":
            print(usage)
            return 0
        case "health":
            do {
                return try await health(environment: EnvironmentReader())
            } catch {
                FileHandle.standardError.write(Data("clientctl: \(error)\n".utf8))
                return 78
            }
        case "company", "api-key", "create-admin", "audit":
            return await IdentityCommands.run(command, arguments: Array(arguments.dropFirst()), environment: EnvironmentReader())
        case "rebuild":
            do {
                return try await RebuildCommand.run(arguments: Array(arguments.dropFirst()), environment: EnvironmentReader())
            } catch {
                FileHandle.standardError.write(Data("clientctl: \(error)\n".utf8))
                return 78
            }
        case "status":
            do {
                return try await StatusCommand.run(arguments: Array(arguments.dropFirst()), environment: EnvironmentReader())
            } catch {
                FileHandle.standardError.write(Data("clientctl: \(error)\n".utf8))
                return 78
            }
        case "quarantine":
            do {
                return try await QuarantineCommand.run(arguments: Array(arguments.dropFirst()), environment: EnvironmentReader())
            } catch {
                FileHandle.standardError.write(Data("clientctl: \(error)\n".utf8))
                return 78
            }
        case "documents":
            do {
                return try await DocumentsCommand.run(arguments: Array(arguments.dropFirst()), environment: EnvironmentReader())
            } catch {
                FileHandle.standardError.write(Data("clientctl: \(error)\n".utf8))
                return 78
            }
        case "crm":
            do {
                return try await CRMCommand.run(arguments: Array(arguments.dropFirst()), environment: EnvironmentReader())
            } catch {
                FileHandle.standardError.write(Data("clientctl: \(error)\n".utf8))
                return 78
            }
        case "privacy":
            do {
                return try await PrivacyCommand.run(arguments: Array(arguments.dropFirst()), environment: EnvironmentReader())
            } catch {
                FileHandle.standardError.write(Data("clientctl: \(error)\n".utf8))
                return 78
            }
        case "republish":
            do {
                return try await RepublishCommand.run(arguments: Array(arguments.dropFirst()), environment: EnvironmentReader())
            } catch {
                FileHandle.standardError.write(Data("clientctl: \(error)\n".utf8))
                return 78
            }
        default:
            FileHandle.standardError.write(Data("clientctl: unknown command \(command)\n\n\(usage)\n".utf8))
            return 2
        }
    }

    /// Prints each service's /readyz outcome; 0 when all are ready, 1 otherwise.
    static func health(environment: EnvironmentReader) async throws -> Int32 {
        let services: [(String, String)] = [
            ("gateway", try environment.httpURL("GATEWAY_URL", default: "http://127.0.0.1:8080")),
            ("command-service", try environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")),
            ("search-projection", try environment.httpURL("SEARCH_SERVICE_URL", default: "http://127.0.0.1:8182")),
            ("stats-projection", try environment.httpURL("STATS_SERVICE_URL", default: "http://127.0.0.1:8183")),
            ("document-store", try environment.httpURL("DOCUMENT_SERVICE_URL", default: "http://127.0.0.1:8184")),
            ("crm-sync", try environment.httpURL("CRM_SYNC_URL", default: "http://127.0.0.1:8185")),
        ]
        var config = HTTPClientConfiguration()
        config.requestTimeout = .seconds(5)
        let client = HTTPClient(configuration: config)
        defer { client.shutdown() }
        var allReady = true
        for (name, url) in services {
            let line: String
            do {
                let response = try await client.execute(HTTPClientRequest(method: .GET, url: url + "/readyz"))
                let ready = response.status.code == 200
                allReady = allReady && ready
                line = "\(ready ? "ready    " : "NOT READY")  \(String(decoding: response.body, as: UTF8.self))"
            } catch {
                allReady = false
                line = "DOWN       \(error)"
            }
            print(name.padding(toLength: 18, withPad: " ", startingAt: 0) + line)
        }
        return allReady ? 0 : 1
    }
}
