import ClientDomain
import Foundation
import HTTP
import Identity
import InternalAPI
import Postgres
import TestSupport
@testable import Gateway
@testable import ServiceRuntime

/// The gateway's real routes on an HTTP server on port 0, built as `main.swift` builds them,
/// over an identity store and upstream services a test chooses.
struct ContractGateway: Sendable {
    private let server: LocalServer
    var baseURL: String { server.baseURL }

    static let internalToken = InternalToken("an-internal-token-for-the-contract-tests")
    static let environment = EnvironmentReader(["JWT_KEYS": "contract1:" + Data(repeating: 9, count: 32).base64EncodedString()])

    init(identity: IdentityStore, upstreams: String, rateLimit: RateLimitPolicy, http: HTTPClient) async throws {
        server = try await LocalServer(try Self.routes(identity: identity, upstreams: upstreams, rateLimit: rateLimit, http: http))
    }

    func stop() async { await server.stop() }

    /// A router with every route the gateway registers (the health routes included), calling
    /// `upstreams` for every internal service; nothing connects before a request needs it.
    static func routes(identity: IdentityStore, upstreams: String, rateLimit: RateLimitPolicy, http: HTTPClient) throws -> Router {
        let router = Router()
        let logger = Logger(service: "gateway", level: .error)
        let metrics = MetricsRegistry()
        let readiness = ReadinessChecks()
        let setup = ServiceSetup(name: "gateway", environment: environment, logger: logger, metrics: metrics,
                                 readiness: readiness, router: router, httpConfiguration: HTTPServerConfiguration())
        HealthRoutes.register(on: router, service: "gateway", readiness: readiness, metrics: metrics, logger: logger,
                              token: internalToken)
        let documents = DocumentClient(baseURL: upstreams, token: internalToken, http: http)
        GatewayRoutes.register(on: setup, GatewayComponents(
            identity: identity, careAccessLog: CareAccessLog(pool: identity.pool),
            sessions: try SessionSettings(environment: environment),
            commands: CommandClient(baseURL: upstreams, token: internalToken, http: http, documents: documents, logger: logger),
            search: SearchClient(baseURL: upstreams, token: internalToken, http: http),
            stats: StatsClient(baseURL: upstreams, token: internalToken, http: http),
            documents: documents,
            crm: CRMSyncClient(baseURL: upstreams, token: internalToken, http: http),
            searchVisibility: ProjectionVisibility(service: "search-projection", baseURL: upstreams, token: internalToken, http: http,
                                                   feed: nil),
            statsVisibility: ProjectionVisibility(service: "stats-projection", baseURL: upstreams, token: internalToken, http: http,
                                                  feed: nil),
            readYourWritesTimeout: .milliseconds(200),
            rateLimiter: RateLimiter(policy: rateLimit)))
        return router
    }
}

/// The records and credentials the contract tests call with: a company, its staff (admin,
/// sales, an agent the client is assigned to and one it is not), a super-admin, API keys of each permission, in a fresh identity database.
struct ContractRecords: Sendable {
    let identity: IdentityStore
    let tokens: SessionTokens
    let company: Company
    let superAdmin: User
    let admin: User
    let sales: User
    let agent: User
    /// An agent of the company the client is not assigned to.
    let otherAgent: User
    /// A user the user-changing requests change.
    let spare: User
    let password = "contract test password"
    /// API keys by their permissions: both, `clients:read` only, `clients:write` only.
    let fullKey: String
    let readKey: String
    let writeKey: String
    /// The client's documents: a passport and two care documents (each file `FakeUpstreams.fileContent`).
    let passport = FakeUpstreams.document(.passport, name: "passport.png", contentType: "image/png")
    let report = FakeUpstreams.document(.care, .report, name: "report.pdf", contentType: "application/pdf")
    let notes = FakeUpstreams.document(.care, .other, name: "notes.txt", contentType: "text/plain; charset=utf-8")

    static func make(pool: PostgresPool) async throws -> ContractRecords {
        _ = try await MigrationRunner(migrations: IdentitySchema.migrations).apply(on: pool)
        let identity = IdentityStore(pool: pool)
        let password = "contract test password"
        let superAdmin = try await identity.bootstrapSuperAdmin(email: "root@contract.test", password: password)
        let company = try await identity.createCompany(name: "Contract Ltd")
        func user(_ name: String, _ role: String) async throws -> User {
            try await identity.createUser(NewUser(email: "\(name)@contract.test", name: name, password: password, roles: [role],
                                                  companyIds: [company.id]))
        }
        return ContractRecords(
            identity: identity, tokens: try SessionSettings(environment: ContractGateway.environment).tokens, company: company,
            superAdmin: try superAdmin ?? { throw TestSupportError("no super-admin was made") }(),
            admin: try await user("admin", Role.admin), sales: try await user("sales", Role.sales),
            agent: try await user("agent", Role.agent), otherAgent: try await user("other-agent", Role.agent), spare: try await user("spare", Role.sales),
            fullKey: try await identity.issueAPIKey(companyId: company.id).secret,
            readKey: try await identity.issueAPIKey(companyId: company.id, permissions: [APIKeyPermission.clientsRead]).secret,
            writeKey: try await identity.issueAPIKey(companyId: company.id, permissions: [APIKeyPermission.clientsWrite]).secret)
    }

    /// A fresh session token of `user` (each its own `jti`, so a logout ends only its own).
    func token(_ user: User) -> String {
        tokens.sign(SessionClaims(user: user, now: Date(), lifetime: 3600))
    }

    /// The client every fake read and write answers: number 1 of the company, assigned to the
    /// agent, with `passport`, `report` and `notes`.
    var client: ClientRecord {
        ClientRecord(id: UUID(), tenantId: company.id,
                     profile: ClientProfile(name: "Ada Lovelace", email: "ada@contract.test", phone: "+1 555 0100", status: .active,
                                            agents: [AgentAssignment(agentId: agent.number, agentName: agent.name)]),
                     version: 3, createdAt: Date(timeIntervalSince1970: 1_700_000_000), updatedAt: Date(timeIntervalSince1970: 1_700_000_100),
                     number: 1, createdBy: Actor(kind: .user, id: superAdmin.id.lowercasedString),
                     documents: [passport, report, notes],
                     careRecords: ["goals": [[
                        "id": .string(report.id.lowercasedString), "title": "Improve communication skills", "status": "in_progress",
                        "tasks": [["id": .string(notes.id.lowercasedString), "title": "Practise daily", "done": false]],
                        "history": [["at": "2026-01-01T00:00:00.000Z", "by": "user:x", "change": "added", "fields": ["title"]]],
                     ]]])
    }
}
