import ServiceRuntime

/// The gateway's public routes, one adapter per API document.
enum GatewayRoutes {
    /// Every API family's paths not built yet, answering 501 until its issue builds it.
    /// (`/api/v1/clients` is `OrganizationClientsAPI`, `/api/clients` `LeadsClientsAPI`, `/api/admin/clients` `AdminClientsAPI`; `/api/auth`, `/api/companies`,
    /// `/api/users` and `/api/api-keys` are `AuthAPI`, `CompaniesAPI`, `UsersAPI` and
    /// `APIKeysAPI`.)
    static func registerPlaceholders(on setup: ServiceSetup) {
        setup.notBuiltYet("/v1/workspace/:workspaceId/clients", what: "The workspace clients API")
        for prefix in ["/api/user", "/api/clientDetails", "/api/frontend", "/api/document", "/api/goal",
                       "/api/medication", "/api/appointment"] {
            setup.notBuiltYet(prefix, what: "The care clients API (\(prefix))")
        }
    }
}
