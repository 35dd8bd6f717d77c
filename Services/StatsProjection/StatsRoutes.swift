import Foundation
import HTTP
import InternalAPI
import Projection
import ServiceRuntime
import StatsReadModel

/// The stats projection's internal routes: the figures, the rebuild's start and progress,
/// and the live projection's position (`clientctl status`). Every route requires the
/// internal token: only the gateway and clientctl call them.
struct StatsRoutes: Sendable {
    let statistics: ClientStatistics
    let rebuild: ProjectionRebuild
    let live: ProjectionRunner
    let token: InternalToken

    func register(on setup: ServiceSetup) {
        setup.route(.GET, InternalPaths.stats, token.guarding { [statistics] request in
            let scope = try StatsParameters.scope(request)
            let asOf = try StatsParameters.asOf(request)
            return Self.json(try await statistics.stats(for: scope, asOf: asOf))
        })
        setup.route(.POST, InternalPaths.rebuild, token.guarding { [rebuild] _ in
            Self.json(Self.progress(try await rebuild.start()), status: .accepted)
        })
        setup.route(.GET, InternalPaths.rebuild, token.guarding { [rebuild] _ in
            Self.json(Self.progress(try await rebuild.status()))
        })
        setup.route(.GET, InternalPaths.status, token.guarding { [live, service = setup.name] _ in
            Self.json(ServiceStatus(service: service, projections: [Self.status(of: live)]))
        })
    }

    /// The runner's position per partition as of its last commit or fetch (as the search
    /// projection reports its own).
    static func status(of runner: ProjectionRunner) -> ProjectionStatus {
        ProjectionStatus(name: runner.configuration.projection, running: runner.isRunning(),
                         partitions: runner.checkpoint.partitions.sorted { $0.key < $1.key }.map {
                             ProjectionStatus.Partition(partition: $0.key, position: $0.value.next, end: $0.value.end)
                         })
    }

    static func progress(_ status: ProjectionRebuildStatus) -> RebuildProgress {
        RebuildProgress(state: RebuildProgress.State(rawValue: status.state.rawValue) ?? .idle,
                        eventsApplied: status.eventsApplied, eventsPerSecond: status.eventsPerSecond,
                        startedAt: status.startedAt, finishedAt: status.finishedAt,
                        partitions: status.partitions.map {
                            RebuildProgress.Partition(partition: $0.partition, position: $0.position, end: $0.end, live: $0.live)
                        })
    }

    /// A JSON response in the internal APIs' coding (`InternalJSON`).
    static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) -> HTTPResponse {
        do {
            let body = try InternalJSON.encoder().encode(value)
            return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body))
        } catch {
            return HTTPResponse(error: error)
        }
    }
}
