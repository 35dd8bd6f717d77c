import ServiceRuntime

/// The internal services the gateway calls, by base URL.
struct GatewayUpstreams: Sendable {
    var commandService: String
    var searchProjection: String
    var statsProjection: String
    var documentStore: String
    /// Not among `all`: the gateway's readiness does not wait for crm-sync (only
    /// `/api/admin/crm` calls it).
    var crmSync: String

    init(environment: EnvironmentReader) throws {
        commandService = try environment.httpURL("COMMAND_SERVICE_URL", default: "http://127.0.0.1:8181")
        searchProjection = try environment.httpURL("SEARCH_SERVICE_URL", default: "http://127.0.0.1:8182")
        statsProjection = try environment.httpURL("STATS_SERVICE_URL", default: "http://127.0.0.1:8183")
        documentStore = try environment.httpURL("DOCUMENT_SERVICE_URL", default: "http://127.0.0.1:8184")
        crmSync = try environment.httpURL("CRM_SYNC_URL", default: "http://127.0.0.1:8185")
    }

    var all: [(name: String, url: String)] {
        [("command-service", commandService), ("search-projection", searchProjection),
         ("stats-projection", statsProjection), ("document-store", documentStore)]
    }
}

/// An upstream answered its health check with something other than 200.
struct UpstreamNotHealthy: Error, CustomStringConvertible {
    var name: String
    var status: Int
    var description: String { "\(name) answered /healthz with \(status)" }
}
