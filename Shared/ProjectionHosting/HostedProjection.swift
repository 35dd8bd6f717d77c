import EventLog
import Foundation
import Infrastructure
import InternalAPI
import Kafka
import Postgres
import Projection
import ServiceRuntime

/// A read model kept by a projection service: its live runner, its rebuild, and the
/// read-your-writes signals of its commits (waiters in the service, a feed for the gateway).
///
/// The one way a service keeps a projection: `init` builds the parts and adds them to the
/// setup's services with a readiness check; `ProjectionRoutes` serves the internal routes
/// every projection service has (status, rebuild, quarantine, visibility, applied feed).
public struct HostedProjection: Sendable {
    public let live: ProjectionRunner
    public let rebuild: ProjectionRebuild
    public let waiters: AppliedVersionWaiters
    public let feed: AppliedFeed

    /// - Parameters:
    ///   - projection: the name its offsets and quarantine are stored under (`search`, `stats`).
    ///   - fetchWait: see `ProjectionRunner.Configuration.fetchWait`.
    ///   - keys: the streams' data keys (`ServiceSetup.clientKeys`), for the live runner and rebuilds.
    ///   - maxEventsPerSecond: caps a rebuild's replay; nil: unlimited.
    ///   - committed: more work after each live commit (after the waiters and feed were told).
    public init(setup: inout ServiceSetup, projection: String, model: any ProjectionReadModel, pool: PostgresPool,
                keys: any ClientKeySource, events: EventsLog, batchSize: Int, fetchWait: Duration? = nil, maxEventsPerSecond: Int?,
                committed: @escaping @Sendable (ProjectionApplyOutcome) -> Void = { _ in }) {
        let waiters = AppliedVersionWaiters()
        let feed = AppliedFeed()
        var configuration = ProjectionRunner.Configuration(projection: projection, target: .live, topic: events.topic.name,
                                                           partitionCount: events.topic.partitions)
        configuration.batchSize = batchSize
        if let fetchWait { configuration.fetchWait = fetchWait }
        let live = ProjectionRunner(configuration: configuration, pool: pool, kafka: events.configuration, model: model,
                                    keys: keys, logger: setup.logger, metrics: setup.metrics,
                                    committed: { outcome in
                                        waiters.parked(outcome.parked)
                                        waiters.published(outcome.applied)
                                        feed.published(outcome.applied, parked: outcome.parked)
                                        committed(outcome)
                                    })
        let rebuild = ProjectionRebuild(live: live, pool: pool, kafka: events.configuration, model: model, logger: setup.logger,
                                        metrics: setup.metrics, batchSize: batchSize, maxEventsPerSecond: maxEventsPerSecond,
                                        swapped: {
                                            waiters.recheckAll()
                                            feed.reset()
                                        })
        setup.services += [live, rebuild]
        setup.readiness.add("projection") {
            guard live.isRunning() else { throw ProjectionNotRunning() }
        }
        self.live = live
        self.rebuild = rebuild
        self.waiters = waiters
        self.feed = feed
    }
}

/// The live projection has not polled successfully lately.
struct ProjectionNotRunning: Error, CustomStringConvertible {
    var description: String { "the projection consumer has not polled successfully in the last 30 s" }
}
