import Foundation
import HTTP
import Identity
import InternalAPI
import Postgres
import TestSupport
@testable import Gateway
@testable import ServiceRuntime

/// The gateway's public routes served in the test process on port 0, with the internal
/// services it calls played by fakes: a route's behaviour over real HTTP without starting
/// five processes.
///
/// Built as `main.swift` builds the gateway (`GatewayRoutes.register` over
/// `GatewayComponents`), except that:
/// - the command service and the search and stats projections are `FakeUpstream`s that the
///   test scripts with canned internal JSON and that record every call;
/// - read-your-writes asks the projections per write (no applied-feed follower), so each
///   wait is one visibility request a fake can hold, answer or fail;
/// - the gateway's own database (companies, API keys, staff users) is a fresh one on the
///   shared test PostgreSQL server, filled through `IdentityStore` (`apiKey`, `adminToken`);
/// - rate limits are off.
final class GatewayHarness: Sendable {
    let gateway: InProcessServer
    let commands: FakeUpstream
    let search: FakeUpstream
    let stats: FakeUpstream
    let identity: IdentityStore
    /// The test's client for calling the gateway.
    let http = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(60), retries: 0))
    private let pool: PostgresPool
    private let upstreamClients: [HTTPClient]
    private let sessions: SessionSettings

    /// - Parameter readYourWritesTimeout: how long a write's answer waits for the projections.
    static func start(readYourWritesTimeout: Duration = .seconds(2)) async throws -> GatewayHarness {
        let database = try PostgresServer.shared().createDatabase("gateway_harness_\(UInt32.random(in: 0...UInt32.max))")
        let pool = PostgresPool(configuration: PostgresConfiguration(connectionString: database, poolSize: 4))
        _ = try await MigrationRunner(migrations: IdentitySchema.migrations).apply(on: pool)
        let (commands, search, stats) = (try await FakeUpstream.start(), try await FakeUpstream.start(), try await FakeUpstream.start())
        let environment = EnvironmentReader(["JWT_KEYS": "test1:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString(),
                                             "SESSION_COOKIE_SECURE": "false"])
        let sessions = try SessionSettings(environment: environment)
        let router = Router()
        let logger = Logger(service: "gateway", level: .error, sink: LogSink { _ in })
        let setup = ServiceSetup(name: "gateway", environment: environment, logger: logger, metrics: MetricsRegistry(),
                                 readiness: ReadinessChecks(), router: router, httpConfiguration: HTTPServerConfiguration())
        let token = InternalToken("an-internal-token-for-tests")
        // As main.swift configures them: one client for the calls, one whose timeout is just
        // above the read-your-writes wait.
        let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(15), maxIdlePerHost: 64))
        let visibilityClient = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(1),
                                                                                 requestTimeout: readYourWritesTimeout + .milliseconds(500),
                                                                                 maxIdlePerHost: 64))
        let identity = IdentityStore(pool: pool)
        GatewayRoutes.register(on: setup, GatewayComponents(
            identity: identity, careAccessLog: CareAccessLog(pool: pool), sessions: sessions,
            commands: CommandClient(baseURL: commands.baseURL, token: token, http: client),
            search: SearchClient(baseURL: search.baseURL, token: token, http: client),
            stats: StatsClient(baseURL: stats.baseURL, token: token, http: client),
            // No document route is exercised here: the address refuses connections.
            documents: DocumentClient(baseURL: "http://127.0.0.1:1", token: token, http: client),
            crm: CRMSyncClient(baseURL: "http://127.0.0.1:1", token: token, http: client),
            searchVisibility: ProjectionVisibility(service: "search-projection", baseURL: search.baseURL, token: token,
                                                   http: visibilityClient, feed: nil),
            statsVisibility: ProjectionVisibility(service: "stats-projection", baseURL: stats.baseURL, token: token,
                                                  http: visibilityClient, feed: nil),
            readYourWritesTimeout: readYourWritesTimeout, rateLimiter: nil))
        return GatewayHarness(gateway: try await InProcessServer.start(router), commands: commands, search: search, stats: stats,
                              identity: identity, pool: pool, upstreamClients: [client, visibilityClient], sessions: sessions)
    }

    private init(gateway: InProcessServer, commands: FakeUpstream, search: FakeUpstream, stats: FakeUpstream,
                 identity: IdentityStore, pool: PostgresPool, upstreamClients: [HTTPClient], sessions: SessionSettings) {
        self.gateway = gateway
        self.commands = commands
        self.search = search
        self.stats = stats
        self.identity = identity
        self.pool = pool
        self.upstreamClients = upstreamClients
        self.sessions = sessions
    }

    func stop() async {
        http.shutdown()
        try? await gateway.stop()
        for client in upstreamClients { client.shutdown() }
        for fake in [commands, search, stats] { try? await fake.stop() }
        await pool.close()
    }

    /// A new company and an API key of it (with `permissions`); returns the company id and the secret.
    func apiKey(permissions: Set<String> = APIKeyPermission.defaults) async throws -> (companyId: UUID, secret: String) {
        let company = try await identity.createCompany(name: "Harness Co \(UUID().uuidString.prefix(8))")
        return (company.id, try await identity.issueAPIKey(companyId: company.id, permissions: permissions).secret)
    }

    /// A session token of a super-admin, signed as a login would sign it (the password check
    /// itself is AuthAPI's, tested elsewhere).
    func adminToken() async throws -> String {
        guard let admin = try await identity.bootstrapSuperAdmin(email: "harness-admin@example.com",
                                                                 password: "harness-\(UUID().uuidString)") else {
            throw TestSupportError("the harness database already had a super-admin")
        }
        return sessions.tokens.sign(SessionClaims(user: admin, now: Date(), lifetime: sessions.tokens.lifetime))
    }

    /// Calls the gateway with `Authorization: Bearer <bearer>` and, given `json`, that body.
    func call(_ method: HTTPMethod, _ path: String, bearer: String, json: String? = nil) async throws -> HTTPClientResponse {
        var headers: HTTPHeaders = ["Authorization": "Bearer \(bearer)"]
        if json != nil { headers.add(name: "Content-Type", value: "application/json") }
        return try await http.execute(HTTPClientRequest(method: method, url: gateway.baseURL + path, headers: headers,
                                                        body: Array((json ?? "").utf8)))
    }
}
