import Crypto
import Errors
import HTTP
import Identity
import Infrastructure
import ServiceRuntime

// The gateway: the only public HTTP surface. It authenticates callers, checks authorization,
// and speaks the five client APIs, calling the internal services over HTTP.
//
// Variables: COMMAND_SERVICE_URL, SEARCH_SERVICE_URL, STATS_SERVICE_URL, DOCUMENT_SERVICE_URL
// (the internal services, each checked by /readyz), INTERNAL_TOKEN (sent to them in
// X-Internal-Token), DATABASE_URL (the gateway's own database: companies and API keys),
// READ_YOUR_WRITES_TIMEOUT_MS (2000: how long a write waits for the search projection),
// the session settings (JWT_KEYS required, see SessionSettings), ADMIN_EMAIL and
// ADMIN_PASSWORD (the first super-admin, created at start when none exists),
// RATE_LIMIT_REQUESTS (600) per RATE_LIMIT_WINDOW_SECONDS (60) for each API key and each staff
// user, counted by this instance alone (either at 0 turns limits off; see RateLimiter),
// PASSWORD_HASH_THREADS (0: one per core; password hashes at once, see PasswordHashQueue), plus
// the common ones (see ServiceMain). Routes are registered in GatewayRoutes, nowhere else, so
// that OpenAPIDocumentTests sees them all.
await ServiceMain.run(name: "gateway", defaultPort: 8080) { setup in
    let upstreams = try GatewayUpstreams(environment: setup.environment)
    let token = try setup.requireInternalToken()
    let readYourWrites = try setup.environment.milliseconds("READ_YOUR_WRITES_TIMEOUT_MS", default: .seconds(2), in: 0...30_000)
    let sessions = try SessionSettings(environment: setup.environment)
    let rateLimit = try RateLimitPolicy.configured(by: setup.environment)
    let hashThreads = try setup.environment.int("PASSWORD_HASH_THREADS", default: 0, in: 0...1024)
    let adminEmail = setup.environment.string("ADMIN_EMAIL", default: "")
    let adminPassword = setup.environment.string("ADMIN_PASSWORD", default: "")
    let bootstrapsAdmin = !adminEmail.isEmpty && !adminPassword.isEmpty
    if bootstrapsAdmin {
        do { _ = try IdentityStore.validEmail(adminEmail) } catch let error as ClienteleError {
            throw ConfigurationError(variable: "ADMIN_EMAIL", problem: error.message)
        }
        do { try IdentityStore.checkPassword(adminPassword) } catch let error as ClienteleError {
            throw ConfigurationError(variable: "ADMIN_PASSWORD", problem: error.message)
        }
    }
    let pool = try await setup.openPostgres(migrations: IdentitySchema.migrations)
    let passwordHashes = PasswordHashQueue(threads: hashThreads)
    let identity = IdentityStore(pool: pool, passwordHashes: passwordHashes)
    await IdentityStore.prepareCredentialChecks()
    registerPasswordHashMetrics(setup.metrics, passwordHashes)
    // Never log the password; the id is enough to find the account.
    if bootstrapsAdmin, let admin = try await identity.bootstrapSuperAdmin(email: adminEmail, password: adminPassword) {
        setup.logger.info("created the first super-admin from ADMIN_EMAIL", ["user_id": admin.id.lowercasedString])
    }

    // Keep as many idle connections as may be open (64 per upstream): with fewer, a burst of
    // concurrent calls closes the extra ones afterwards and the next burst connects again.
    let client = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(15), maxIdlePerHost: 64))
    let visibilityClient = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(1),
                                                                             requestTimeout: readYourWrites + .milliseconds(500),
                                                                             maxIdlePerHost: 64))
    for (name, url) in upstreams.all {
        setup.readiness.add(name) {
            let response = try await client.execute(HTTPClientRequest(method: .GET, url: url + "/healthz"))
            guard response.status.code == 200 else { throw UpstreamNotHealthy(name: name, status: response.status.code) }
        }
    }
    // Uploads, downloads and care exports stream for as long as the caller sends or reads (a
    // slow phone on a 25 MiB file): a long bound, and few connections per request.
    let documentClient = HTTPClient(configuration: HTTPClientConfiguration(requestTimeout: .seconds(900), maxIdlePerHost: 16))
    setup.shutdownHooks.append {
        client.shutdown()
        visibilityClient.shutdown()
        documentClient.shutdown()
    }
    let documents = DocumentClient(baseURL: upstreams.documentStore, token: token, http: documentClient)

    // Read-your-writes waits on the projections' applied-versions feeds: one request per
    // projection commit instead of one per write.
    let searchFeed = AppliedFeedFollower(projection: "search", baseURL: upstreams.searchProjection, token: token, http: client,
                                         logger: setup.logger, metrics: setup.metrics)
    let statsFeed = AppliedFeedFollower(projection: "stats", baseURL: upstreams.statsProjection, token: token, http: client,
                                        logger: setup.logger, metrics: setup.metrics)
    setup.services += [searchFeed, statsFeed]

    // The care access audit's GIN index is emptied beside the appends, every second in which
    // records were written: a carer's list names a thousand clients (about 24 KB of pending
    // entries), and the append that finds the list over its limit merges it all before its
    // answer goes (tens of milliseconds). The index's limit is 16 MB (identity migration 15),
    // two seconds of lists at 300 a second, so the cleaner gets there first; cleaning every
    // 100 ms under the default 4 MB merged small lists, each touching the same thousand
    // entries, and cost PostgreSQL more (measured: docs/performance.md, design measurements).
    let accessLogLists = GINPendingListCleaner(pool: pool, table: CareAccessLog.table, logger: setup.logger)
    setup.services.append(accessLogLists)
    GatewayRoutes.register(on: setup, GatewayComponents(
        identity: identity, careAccessLog: CareAccessLog(pool: pool, readiness: EventLoopPostgresReadiness(),
                                                         appended: { accessLogLists.noteApplied($0) }),
        sessions: sessions,
        commands: CommandClient(baseURL: upstreams.commandService, token: token, http: client, documents: documents,
                                logger: setup.logger),
        search: SearchClient(baseURL: upstreams.searchProjection, token: token, http: client, exportHTTP: documentClient,
                             metrics: setup.metrics),
        stats: StatsClient(baseURL: upstreams.statsProjection, token: token, http: client),
        documents: documents,
        crm: CRMSyncClient(baseURL: upstreams.crmSync, token: token, http: client),
        searchVisibility: ProjectionVisibility(service: "search-projection", baseURL: upstreams.searchProjection, token: token,
                                               http: visibilityClient, feed: searchFeed),
        statsVisibility: ProjectionVisibility(service: "stats-projection", baseURL: upstreams.statsProjection, token: token,
                                              http: visibilityClient, feed: statsFeed),
        readYourWritesTimeout: readYourWrites,
        rateLimiter: rateLimit.map { RateLimiter(policy: $0) }))
}

/// The password-hash queue's counts (logins and password changes), read at scrape time.
func registerPasswordHashMetrics(_ metrics: MetricsRegistry, _ queue: PasswordHashQueue) {
    metrics.collector("clientele_password_hashes_total", help: "Password hashes (PBKDF2) started", type: "counter") {
        [(labels: [:], value: Double(queue.counts.started))]
    }
    metrics.collector("clientele_password_hashes_refused_total",
                      help: "Password checks and changes refused (503) because every hash slot was taken", type: "counter") {
        [(labels: [:], value: Double(queue.counts.refused))]
    }
    metrics.collector("clientele_password_hashes_in_progress", help: "Password hashes running and waiting for a slot") {
        let counts = queue.counts
        return [(labels: ["state": "running"], value: Double(counts.running)),
                (labels: ["state": "waiting"], value: Double(counts.waiting))]
    }
}
