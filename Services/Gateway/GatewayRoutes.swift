import ServiceRuntime

/// The gateway's public routes, one adapter per API document.
enum GatewayRoutes {
    /// Every API family's paths not built yet, answering 501 until its issue builds it.
    /// (`/api/v1/clients` is `OrganizationClientsAPI`; `/api/auth`, `/api/companies` and
    /// `/api/users` are `AuthAPI`, `CompaniesAPI` and `UsersAPI`.)
    ///
    /// `/api/api-keys` (a super-admin issuing keys over HTTP) is not built yet; keys are issued
    /// with `clientctl api-key issue`.
    static func registerPlaceholders(on setup: ServiceSetup) {
        setup.notBuiltYet("/api/clients", what: "The leads API (/api/clients)")
        setup.notBuiltYet("/api/admin/clients", what: "The admin clients API (/api/admin/clients)")
        setup.notBuiltYet("/v1/workspace/:workspaceId/clients", what: "The workspace clients API")
        for prefix in ["/api/user", "/api/clientDetails", "/api/frontend", "/api/document", "/api/goal",
                       "/api/medication", "/api/appointment"] {
            setup.notBuiltYet(prefix, what: "The care clients API (\(prefix))")
        }
        setup.notBuiltYet("/api/api-keys", what: "Identity and access (/api/api-keys)")
    }
}
