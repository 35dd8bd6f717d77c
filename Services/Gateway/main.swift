import HTTP
import ServiceRuntime

// The gateway: the only public HTTP surface. It authenticates callers, checks authorization,
// and speaks the five client APIs, calling the internal services over HTTP.
//
// Variables: COMMAND_SERVICE_URL, SEARCH_SERVICE_URL, STATS_SERVICE_URL, DOCUMENT_SERVICE_URL
// (the internal services, each checked by /readyz), plus the common ones (see ServiceMain).
await ServiceMain.run(name: "gateway", defaultPort: 8080) { setup in
    let upstreams = try GatewayUpstreams(environment: setup.environment)
    let client = HTTPClient(configuration: HTTPClientConfiguration())
    for (name, url) in upstreams.all {
        setup.readiness.add(name) {
            let response = try await client.execute(HTTPClientRequest(method: .GET, url: url + "/healthz"))
            guard response.status.code == 200 else { throw UpstreamNotHealthy(name: name, status: response.status.code) }
        }
    }
    setup.shutdownHooks.append { client.shutdown() }
    GatewayRoutes.registerPlaceholders(on: setup)
}
