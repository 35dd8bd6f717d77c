import ServiceRuntime

/// The gateway's public routes, one adapter per API document.
enum GatewayRoutes {
    /// Every API family's paths, answering 501 until its issue builds it.
    static func registerPlaceholders(on setup: ServiceSetup) {
        setup.notBuiltYet("/api/v1/clients", what: "The organization clients API (/api/v1/clients)")
        setup.notBuiltYet("/api/clients", what: "The leads API (/api/clients)")
        setup.notBuiltYet("/api/admin/clients", what: "The admin clients API (/api/admin/clients)")
        setup.notBuiltYet("/v1/workspace/:workspaceId/clients", what: "The workspace clients API")
        for prefix in ["/api/user", "/api/clientDetails", "/api/frontend", "/api/document", "/api/goal",
                       "/api/medication", "/api/appointment"] {
            setup.notBuiltYet(prefix, what: "The care clients API (\(prefix))")
        }
        for prefix in ["/api/auth", "/api/companies", "/api/users", "/api/api-keys"] {
            setup.notBuiltYet(prefix, what: "Identity and access (\(prefix))")
        }
    }
}
