import Foundation
import HTTP
import InternalAPI
import ProjectionHosting
import ServiceRuntime
import StatsReadModel

/// The stats projection's own internal route, the figures (the routes every projection
/// service has are `ProjectionRoutes`). It requires the internal token: only the gateway and
/// clientctl call it.
struct StatsRoutes: Sendable {
    let statistics: ClientStatistics
    let token: InternalToken

    func register(on setup: ServiceSetup) {
        setup.route(.GET, InternalPaths.stats, token.guarding { [statistics] request in
            let scope = try StatsParameters.scope(request)
            let asOf = try StatsParameters.asOf(request)
            return ProjectionRoutes.json(try await statistics.stats(for: scope, asOf: asOf))
        })
    }
}
