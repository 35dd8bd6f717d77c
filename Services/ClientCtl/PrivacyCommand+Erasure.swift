import ClientDomain
import Errors
import Foundation
import HTTP
import InternalAPI
import ServiceRuntime

/// `clientctl privacy erase CLIENT` and `clientctl privacy purge --terminated-before DATE`.
///
/// erase: the command service appends `client.erased` with the receipt (any company: an
/// operator acts for every one), then the steps after it run as the admin route runs them
/// (`ClientErasureSteps`) through the internal services, and the receipt is printed as JSON.
/// Running it again on an erased client resumes the steps left. Exit 0 when the client is
/// erased (steps may stay pending: the printed receipt says which), 1 on a failure, 2 for a
/// bad argument, 3 when no such client exists.
///
/// purge: lists the care clients whose status is `terminated` and who have not changed since
/// before DATE (every company), and with `--yes` erases each. The status change's own date is
/// not kept, so the client's last change stands for it: a client changed after its
/// termination is purged that much later, never earlier.
///
/// Needs `INTERNAL_TOKEN`, `COMMAND_SERVICE_URL`, `SEARCH_SERVICE_URL`, `STATS_SERVICE_URL`,
/// `DOCUMENT_SERVICE_URL` and `CRM_SYNC_URL` (the local stack's defaults).
extension PrivacyCommand {
    /// How long one visibility wait may take per projection.
    static let visibilityTimeout: Duration = .seconds(10)

    static func erasure(arguments: [String], environment: EnvironmentReader) async throws -> Int32 {
        switch arguments.first {
        case "erase" where arguments.count == 2:
            guard let id = UUID(canonical: arguments[1].lowercased()) else { return bad("CLIENT_UUID must be a client's UUID") }
            let services = try Services(environment)
            defer { services.client.shutdown() }
            do {
                let erasure = try await services.erase(id)
                print(String(decoding: try InternalJSON.encoder().encode(erasure), as: UTF8.self))
                return 0
            } catch let error as ClienteleError where error.code == .notFound {
                FileHandle.standardError.write(Data("clientctl: no client \(id.lowercasedString)\n".utf8))
                return 3
            } catch {
                FileHandle.standardError.write(Data("clientctl: erasure failed: \(error)\n".utf8))
                return 1
            }
        case "purge":
            var rest = Array(arguments.dropFirst())
            let confirmed = rest.contains("--yes")
            rest.removeAll { $0 == "--yes" }
            guard rest.count == 2, rest[0] == "--terminated-before", let cutoff = day(rest[1]) else {
                return bad("purge needs --terminated-before YYYY-MM-DD")
            }
            let services = try Services(environment)
            defer { services.client.shutdown() }
            do {
                let clients = try await services.terminatedCareClients(before: cutoff)
                print("\(clients.count) care client(s) terminated before \(rest[1])\(confirmed ? ": erasing" : " (list only; --yes erases them)")")
                var failed = 0
                for client in clients {
                    guard confirmed else {
                        print("\(client.id.lowercasedString)  company \(client.tenantId.lowercasedString)  last changed "
                              + Timestamp.format(client.updatedAt))
                        continue
                    }
                    do {
                        let erasure = try await services.erase(client.id)
                        let pending = erasure.steps.filter { $0.state == .pending }.map(\.step.rawValue)
                        print("\(client.id.lowercasedString)  erased" + (pending.isEmpty ? "" : "; pending: " + pending.joined(separator: ", ")))
                    } catch {
                        failed += 1
                        print("\(client.id.lowercasedString)  FAILED: \(error)")
                    }
                }
                return failed == 0 ? 0 : 1
            } catch {
                FileHandle.standardError.write(Data("clientctl: purge failed: \(error)\n".utf8))
                return 1
            }
        default:
            return bad(nil)
        }
    }

    /// Midnight UTC of a `YYYY-MM-DD` day.
    static func day(_ text: String) -> Date? {
        guard text.utf8.count == 10 else { return nil }
        return Timestamp.parse(text + "T00:00:00Z")
    }

    static func sevenYearsAgo() -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let date = calendar.date(byAdding: .year, value: -7, to: Date()) ?? Date()
        return String(Timestamp.format(date).prefix(10))
    }

    /// The internal services an erasure reaches, with one HTTP client.
    struct Services {
        let command: String
        let search: String
        let stats: String
        let documents: String
        let crm: String
        let token: InternalToken
        let client: HTTPClient
        static let actor = Actor(kind: .system, id: "clientctl")

        init(_ environment: EnvironmentReader) throws {
            command = try environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")
            search = try environment.httpURL("SEARCH_SERVICE_URL", default: "http://127.0.0.1:8182")
            stats = try environment.httpURL("STATS_SERVICE_URL", default: "http://127.0.0.1:8183")
            documents = try environment.httpURL("DOCUMENT_SERVICE_URL", default: "http://127.0.0.1:8184")
            crm = try environment.httpURL("CRM_SYNC_URL", default: "http://127.0.0.1:8185")
            token = InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
            var configuration = HTTPClientConfiguration()
            configuration.requestTimeout = PrivacyCommand.visibilityTimeout + .seconds(5)
            client = HTTPClient(configuration: configuration)
        }

        /// Erases `id` (or reads its receipt) and runs the steps left.
        func erase(_ id: UUID) async throws -> ClientErasure {
            let request = ClientErasureRequest(clientId: id, tenantIds: nil, actor: Self.actor)
            let erasure = try await receiptCall(.POST, command + InternalPaths.clientErasures, body: try InternalJSON.encoder().encode(request))
            let services = self
            let steps = ClientErasureSteps(
                searchShows: { id, version in await services.shows(services.search, id, version) },
                statsShows: { id, version in await services.shows(services.stats, id, version) },
                eraseDocuments: { id in
                    let body = JSONValue.object(["clientId": .string(id.lowercasedString)]).serialized()
                    _ = try await services.call(.POST, services.documents + InternalPaths.documentErasures, body: body)
                },
                crmSyncEnabled: { tenant in
                    guard let answer = try? await services.call(.GET, services.crm + "/v1/crm/companies/\(tenant.lowercasedString)", body: []),
                          case .bool(let enabled)? = (try? JSONParser.parse(answer))?["enabled"] else { return nil }
                    return enabled
                },
                mark: { id, step, state in
                    try await services.receiptCall(.POST, services.command + InternalPaths.clientErasureSteps(id),
                                                   body: try InternalJSON.encoder().encode(ClientErasureStepUpdate(step: step, state: state)))
                },
                reread: { id in
                    try await services.receiptCall(.GET, services.command + InternalPaths.clientErasures + "?clientId=" + id.lowercasedString,
                                                   body: nil)
                },
                failed: { step, error in
                    FileHandle.standardError.write(Data("clientctl: erasure step \(step.rawValue) failed (run again to resume): \(error)\n".utf8))
                })
            return try await steps.resume(erasure)
        }

        /// Every care client terminated and unchanged since before `cutoff`, by id.
        func terminatedCareClients(before cutoff: Date) async throws -> [ClientRecord] {
            var found: [ClientRecord] = []
            var after: UUID?
            while true {
                var query = ClientListQuery(scope: .everyTenant, limit: 1000)
                query.statuses = [.terminated]
                query.care.keyset = true
                query.care.after = after
                let items = query.scope.queryItems + query.care.queryItems
                    + [("status", "terminated"), ("limit", String(query.limit))]
                let url = search + InternalPaths.clients + "?" + items.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
                let page = try ClientListPage(internalJSON: JSONParser.parse(try await call(.GET, url, body: [])))
                found += page.data.filter { $0.profile.care != nil && $0.profile.status == .terminated && $0.updatedAt < cutoff }
                guard page.data.count == query.limit, let last = page.data.last?.id else { return found }
                after = last
            }
        }

        func shows(_ base: String, _ id: UUID, _ version: Int64) async -> Bool {
            let url = base + InternalPaths.visibility(id) + "?version=\(version)&timeoutMs=\(PrivacyCommand.visibilityTimeout.inMilliseconds)"
            guard let body = try? await call(.GET, url, body: []), let value = try? JSONParser.parse(body),
                  let visibility = try? ClientVisibility(internalJSON: value) else { return false }
            return (visibility.version ?? 0) >= version
        }

        func receiptCall(_ method: HTTPMethod, _ url: String, body: Data?) async throws -> ClientErasure {
            try InternalJSON.decoder().decode(ClientErasure.self, from: Data(try await call(method, url, body: body.map(Array.init) ?? [])))
        }

        /// The answer's body; a `ClienteleError` (404 as `.notFound`) for any other status than 200.
        func call(_ method: HTTPMethod, _ url: String, body: [UInt8]) async throws -> [UInt8] {
            var headers: HTTPHeaders = [InternalToken.headerName: token.value]
            if !body.isEmpty { headers.add(name: "Content-Type", value: "application/json") }
            let response = try await client.execute(HTTPClientRequest(method: method, url: url, headers: headers, body: body))
            guard response.status.code == 200 else {
                throw ClienteleError(response.status.code == 404 ? .notFound : .unavailable,
                                     "\(method) \(url) answered \(response.status.code)")
            }
            return response.body
        }
    }
}
