import Identity
import ServiceRuntime

/// The gateway's public routes, one adapter per API document.
enum GatewayRoutes {
    /// Registers every public route of the gateway (the health routes come from `ServiceMain`).
    ///
    /// Every route goes through `RateLimitHeaders` (when rate limits are on), so an adapter
    /// that authenticates with `APIKeyAuthenticator` or `SessionAuthenticator` is limited per
    /// principal and answers the `RateLimit-*` headers without doing anything itself. Register
    /// new adapters here, and add their operations to `OpenAPIDocument`
    /// (`OpenAPIDocumentTests` fails until the two agree).
    static func register(on setup: ServiceSetup, _ components: GatewayComponents) {
        var setup = setup
        if components.rateLimiter != nil { setup.routeMiddleware.append(RateLimitHeaders.wrap) }
        let verifiedKeys = VerifiedAPIKeyCache()
        // Each API's writes wait for the projections its reads come from.
        let searchShows = ReadYourWrites(projections: [components.searchVisibility], timeout: components.readYourWritesTimeout)
        let searchAndStatsShow = ReadYourWrites(projections: [components.searchVisibility, components.statsVisibility],
                                                timeout: components.readYourWritesTimeout)
        OrganizationClientsAPI(
            authenticator: APIKeyAuthenticator(store: components.identity, cache: verifiedKeys, rateLimiter: components.rateLimiter,
                                               trustedProxies: components.sessions.trustedProxies, metrics: setup.metrics),
            commands: components.commands, search: components.search, readYourWrites: searchShows).register(on: setup)
        let authAPI = AuthAPI(store: components.identity, settings: components.sessions, rateLimiter: components.rateLimiter)
        authAPI.register(on: setup)
        let attachments = DocumentAttachments(documents: components.documents, commands: components.commands, logger: setup.logger)
        let leadsClients = LeadsClientsAPI(authenticator: authAPI.authenticator, identity: components.identity,
                                           commands: components.commands, search: components.search, readYourWrites: searchShows,
                                           attachments: attachments)
        leadsClients.register(on: setup)
        let careAccessLog = components.careAccessLog
        CareDocumentsAPI(authenticator: authAPI.authenticator, search: components.search, attachments: attachments,
                         readYourWrites: searchShows, audit: CareAuditTrail(log: careAccessLog)).register(on: setup)
        let timeZones = CompanyTimeZones(identity: components.identity)
        let careClients = CareClientsAPI(authenticator: authAPI.authenticator, identity: components.identity,
                                         commands: components.commands, search: components.search, readYourWrites: searchShows,
                                         audit: CareAuditTrail(log: careAccessLog), timeZones: timeZones)
        careClients.register(on: setup)
        CareClientsExport(clients: careClients).register(on: setup)
        CareGoalsAPI(clients: careClients).register(on: setup)
        CareMedicationsAPI(clients: careClients).register(on: setup)
        CareAppointmentsAPI(clients: careClients).register(on: setup)
        CareAuditAPI(authenticator: authAPI.authenticator, log: careAccessLog).register(on: setup)
        let adminClients = AdminClientsAPI(authenticator: authAPI.authenticator, identity: components.identity,
                                           commands: components.commands, search: components.search, stats: components.stats,
                                           readYourWrites: searchAndStatsShow, crm: components.crm)
        adminClients.register(on: setup)
        AdminClientErasureAPI(authenticator: authAPI.authenticator, commands: components.commands, search: components.search,
                              documents: components.documents, crm: components.crm, searchVisibility: components.searchVisibility,
                              statsVisibility: components.statsVisibility, timeout: components.readYourWritesTimeout,
                              logger: setup.logger).register(on: setup)
        AdminCRMAPI(authenticator: authAPI.authenticator, identity: components.identity, crm: components.crm).register(on: setup)
        let companies = KnownCompanies(identity: components.identity)
        let catalog = CustomFieldCatalog(identity: components.identity)
        AdminClientExport(admin: adminClients, leads: leadsClients, care: careClients, catalog: catalog,
                          commands: components.commands, accessLog: careAccessLog).register(on: setup)
        WorkspaceClientsAPI(authenticator: authAPI.authenticator, companies: companies, catalog: catalog, commands: components.commands,
                            search: components.search, readYourWrites: searchShows).register(on: setup)
        CustomFieldsAPI(authenticator: authAPI.authenticator, companies: companies, catalog: catalog,
                        identity: components.identity).register(on: setup)
        CompaniesAPI(store: components.identity, authenticator: authAPI.authenticator, timeZones: timeZones).register(on: setup)
        UsersAPI(store: components.identity, authenticator: authAPI.authenticator).register(on: setup)
        APIKeysAPI(store: components.identity, authenticator: authAPI.authenticator, verifiedKeys: verifiedKeys).register(on: setup)
        OpenAPIDocument.register(on: setup)
        registerPlaceholders(on: setup)
    }

    /// The API families not built yet, by path prefix: every method on the prefix and below
    /// it answers 501 until its issue builds it (and removes it from here).
    /// (`/api/v1/clients` is `OrganizationClientsAPI`, `/api/clients` `LeadsClientsAPI`,
    /// `/api/admin/clients` `AdminClientsAPI`, `/api/document` `CareDocumentsAPI`,
    /// `/v1/workspace/:workspaceId/clients` and `.../custom-fields` `WorkspaceClientsAPI` and
    /// `CustomFieldsAPI`; the care API's part 1 routes under `/api/user`, `/api/clientDetails`
    /// and `/api/frontend` are `CareClientsAPI`, part 2's `/api/goal`, `/api/medication` and
    /// `/api/appointment` are `CareGoalsAPI`, `CareMedicationsAPI` and `CareAppointmentsAPI`
    /// (with `/api/user/stakeholder/clientList`), and the rest of those prefixes answer 501; `/api/auth`, `/api/companies`, `/api/users` and `/api/api-keys` are `AuthAPI`,
    /// `CompaniesAPI`, `UsersAPI` and `APIKeysAPI`.)
    static let placeholders: [(prefix: String, what: String)] = [
        "/api/user", "/api/clientDetails", "/api/frontend",
    ].map { ($0, "The care clients API's routes not built (\($0))") }

    static func registerPlaceholders(on setup: ServiceSetup) {
        for placeholder in placeholders { setup.notBuiltYet(placeholder.prefix, what: placeholder.what) }
    }
}
