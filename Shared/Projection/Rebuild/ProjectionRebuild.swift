import Coordination
import Foundation
import InternalAPI
import Kafka
import Postgres
import ServiceRuntime
import Synchronization

/// Rebuilds a projection by replaying the events topic into shadow tables while the live
/// projection keeps serving and consuming, then swaps the shadow in.
///
/// `start()` records a `running` row in `projection_rebuilds`, creates empty shadow tables
/// and clears the shadow offsets, in one transaction. The service's `run()` then consumes the
/// log from the start with a second runner (projection name `<live>.rebuild`, target
/// `.shadow`), which counts its progress in that row in each batch's transaction, and asks for
/// the streams' data keys afresh (`ClientKeySource.withoutHeldKeys`), so a rebuild after a
/// key was shredded shows nothing of that client. When the
/// shadow has reached the live runner's position on every partition, it first completes the
/// shadow (`ProjectionReadModel.shadowCompletion`: the indexes left out for the bulk load,
/// built on `completionConnections` connections at once while the live runner goes on) and
/// replays what came meanwhile; then it pauses the live runner, catches up to the live offsets as stored, and in one transaction promotes the
/// shadow tables, moves the shadow offsets to the live name and marks the row `done`; the
/// live runner then continues from those offsets.
///
/// Resumable: after a crash the row still says `running`, and `run()` continues from the
/// shadow offsets and tables as last committed (and builds what the shadow still lacks). The
/// swap's transaction checks that nothing is left to complete, so the shadow never serves
/// without its indexes.
public final class ProjectionRebuild: Service, Sendable {
    public let name: String
    private let live: ProjectionRunner
    private let pool: PostgresPool
    private let kafka: KafkaConfiguration
    private let model: any ProjectionReadModel
    private let logger: Logger
    private let metrics: MetricsRegistry
    private let wake = RelayWakeup()
    private let maxEventsPerSecond: Int?
    private let batchSize: Int
    private let completionConnections: Int
    /// The replay under way, if any: its runner, and when it started and how many events it applied.
    private struct Replay {
        var shadow: ProjectionRunner?
        var rate: (since: ContinuousClock.Instant, events: Int64)?
    }

    private let replay = Mutex(Replay())
    private let rebuildsFinished: Counter
    private let swapped: @Sendable () -> Void

    /// - Parameters:
    ///   - maxEventsPerSecond: caps the replay rate, to spare the database serving queries;
    ///     nil replays as fast as it can.
    ///   - completionConnections: how many of the shadow's completion statements (index
    ///     builds) run at once, each on its own pooled connection.
    ///   - swapped: called once the shadow serves (read-your-writes waiters read again).
    public init(live: ProjectionRunner, pool: PostgresPool, kafka: KafkaConfiguration, model: any ProjectionReadModel,
                logger: Logger, metrics: MetricsRegistry, batchSize: Int = 2000, maxEventsPerSecond: Int? = nil,
                completionConnections: Int = 2, swapped: @escaping @Sendable () -> Void = {}) {
        self.completionConnections = max(1, completionConnections)
        self.swapped = swapped
        self.name = "rebuild-\(live.configuration.projection)"
        self.live = live
        self.pool = pool
        self.kafka = kafka
        self.model = model
        self.logger = logger
        self.metrics = metrics
        self.batchSize = batchSize
        self.maxEventsPerSecond = maxEventsPerSecond
        self.rebuildsFinished = metrics.counter("clientele_projection_rebuilds_finished_total", help: "Rebuilds that swapped in.",
                                                labels: ["projection"])
    }

    private var liveName: String { live.configuration.projection }
    /// The projection name the shadow's offsets are stored under.
    public var shadowName: String { liveName + ".rebuild" }

    /// Starts a rebuild, or reports the one already running.
    public func start() async throws -> ProjectionRebuildStatus {
        let liveName = self.liveName
        let shadowName = self.shadowName
        let model = self.model
        let started = try await pool.withTransaction { connection -> Bool in
            _ = try connection.query("SELECT pg_advisory_xact_lock(hashtext($1))", [shadowName])
            let rows = try connection.query("SELECT state FROM projection_rebuilds WHERE projection = $1", [liveName])
            if let row = rows.first, try row.decode(0, as: String.self) == "running" { return false }
            try model.prepareShadow(on: connection)
            try connection.execute("DELETE FROM projection_offsets WHERE projection = $1", [shadowName])
            try ProjectionQuarantine.clear(shadowName, on: connection)
            // The shadow reads the log the live projection reads: it starts in the same epoch.
            try connection.execute("DELETE FROM projection_log_epochs WHERE projection = $1", [shadowName])
            try connection.execute("""
                INSERT INTO projection_log_epochs (projection, epoch) SELECT $2, epoch FROM projection_log_epochs WHERE projection = $1
                """, [liveName, shadowName])
            try connection.execute("""
                INSERT INTO projection_rebuilds (projection, state, events_applied, started_at, finished_at)
                VALUES ($1, 'running', 0, now(), NULL)
                ON CONFLICT (projection) DO UPDATE SET state = 'running', events_applied = 0, started_at = now(), finished_at = NULL
                """, [liveName])
            return true
        }
        if started {
            logger.info("rebuild started", ["projection": liveName])
            wake.signal()
        }
        return try await status()
    }

    /// The streams the running rebuild's shadow parked (nil when no rebuild runs): they stay
    /// parked when it swaps in.
    public func shadowQuarantine() async throws -> [ParkedStream]? {
        guard try await isRunning() else { return nil }
        let shadowName = self.shadowName
        return try await pool.withConnection { try ProjectionQuarantine.streams(shadowName, on: $0) }
    }

    /// The rebuild's state and progress.
    public func status() async throws -> ProjectionRebuildStatus {
        let liveName = self.liveName
        let rows = try await pool.query("""
            SELECT state, events_applied, started_at, finished_at FROM projection_rebuilds WHERE projection = $1
            """, [liveName])
        let shadowName = self.shadowName
        let stored = try await pool.withConnection { try ProjectionOffsets.load(shadowName, on: $0) }
        let (shadow, rate) = replay.withLock { ($0.shadow, $0.rate) }
        let liveOffsets = live.checkpoint.nextOffsets
        let shadowPartitions = shadow?.checkpoint.partitions
        let partitions = (0..<live.configuration.partitionCount).map { partition in
            ProjectionRebuildStatus.Partition(partition: partition,
                                              position: shadowPartitions?[partition]?.next ?? stored[partition] ?? 0,
                                              end: shadowPartitions?[partition]?.end, live: liveOffsets[partition] ?? 0)
        }
        guard let row = rows.first else {
            return ProjectionRebuildStatus(state: .idle, eventsApplied: 0, eventsPerSecond: 0, startedAt: nil, finishedAt: nil,
                                           partitions: partitions)
        }
        let state = ProjectionRebuildStatus.State(rawValue: try row.decode(0, as: String.self)) ?? .idle
        var perSecond = 0.0
        if state == .running, let rate {
            let elapsed = ContinuousClock.now - rate.since
            let seconds = elapsed.inSeconds
            if seconds > 0 { perSecond = Double(rate.events) / seconds }
        }
        return ProjectionRebuildStatus(state: state, eventsApplied: try row.decode(1, as: Int64.self), eventsPerSecond: perSecond,
                                       startedAt: try row.decodeIfPresent(2, as: Date.self),
                                       finishedAt: try row.decodeIfPresent(3, as: Date.self),
                                       partitions: state == .running ? partitions : [])
    }

    public func run() async throws {
        var backoff = Backoff(initial: .milliseconds(500))
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            do {
                if try await isRunning() {
                    try await rebuild()
                    backoff.reset()
                } else {
                    await wake.wait(upTo: .seconds(1))
                }
            } catch {
                logger.warning("rebuild step failed; resuming from its stored offsets",
                               ["projection": liveName, "error": String(describing: error)])
                await backoff.pause()
            }
        }
    }

    private func isRunning() async throws -> Bool {
        let rows = try await pool.query("SELECT state FROM projection_rebuilds WHERE projection = $1", [liveName])
        return try rows.first?.decode(0, as: String.self) == "running"
    }

    /// Replays into the shadow until it has swapped in (or shutdown was asked for).
    private func rebuild() async throws {
        let liveName = self.liveName
        var configuration = ProjectionRunner.Configuration(projection: shadowName, target: .shadow,
                                                           topic: live.configuration.topic,
                                                           partitionCount: live.configuration.partitionCount)
        configuration.batchSize = batchSize
        configuration.exportsPosition = false
        let shadow = ProjectionRunner(configuration: configuration, pool: pool, kafka: kafka, model: model,
                                      keys: live.keys?.withoutHeldKeys(), logger: logger, metrics: metrics) { connection, outcome in
            try connection.execute("""
                UPDATE projection_rebuilds SET events_applied = events_applied + $2 WHERE projection = $1 AND state = 'running'
                """, [liveName, outcome.total])
        }
        let since = ContinuousClock.now
        replay.withLock { replay in
            replay.shadow = shadow
            replay.rate = (since, 0)
        }
        defer { replay.withLock { $0 = Replay() } }
        logger.info("rebuild replaying", ["projection": liveName])
        var completed = false
        while !GracefulShutdown.isRequested && !Task.isCancelled {
            let handled = try await shadow.step()
            let events: Int64 = replay.withLock { replay in
                replay.rate?.events += Int64(handled)
                return replay.rate?.events ?? 0
            }
            if let maxEventsPerSecond, maxEventsPerSecond > 0 {
                let due = since + .milliseconds(Int64(events) * 1000 / Int64(maxEventsPerSecond))
                if due > .now { try await Task.sleep(until: due, clock: .continuous) }
            }
            let position = shadow.checkpoint
            guard position.isCaughtUp, position.hasReached(live.checkpoint.nextOffsets) else { continue }
            if !completed {
                // Build what the shadow left out, then replay what the log got meanwhile
                // before pausing the live runner.
                try await completeShadow()
                completed = true
                continue
            }
            try await live.whilePaused {
                let liveOffsets = try await pool.withConnection { try ProjectionOffsets.load(liveName, on: $0) }
                while !shadow.checkpoint.hasReached(liveOffsets) {
                    guard !GracefulShutdown.isRequested && !Task.isCancelled else { return }
                    try await shadow.step()
                }
                try await swap()
                live.reloadPosition()
                swapped()
            }
            if GracefulShutdown.isRequested || Task.isCancelled { break }
            rebuildsFinished.increment(by: 1, liveName)
            logger.info("rebuild swapped in", ["projection": liveName, "events": String(events)])
            break
        }
        await shadow.close()
    }

    /// Runs the model's completion statements for the shadow, `completionConnections` at a
    /// time, each in its own transaction.
    private func completeShadow() async throws {
        let model = self.model
        let pool = self.pool
        let statements = try await pool.withConnection { try model.shadowCompletion(on: $0) }
        guard !statements.isEmpty else { return }
        let started = ContinuousClock.now
        logger.info("rebuild completing the shadow", ["projection": liveName, "statements": String(statements.count)])
        let queue = StatementQueue(statements)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(completionConnections, statements.count) {
                group.addTask {
                    while let statement = queue.next() {
                        try await pool.withTransaction { try $0.executeScript(statement) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - started
        let seconds = elapsed.inSeconds
        logger.info("rebuild completed the shadow", ["projection": liveName, "seconds": String(format: "%.2f", seconds)])
    }

    /// Hands out statements to the completion tasks, each once.
    private final class StatementQueue: Sendable {
        private let remaining: Mutex<ArraySlice<String>>

        init(_ statements: [String]) { remaining = Mutex(statements[...]) }

        func next() -> String? { remaining.withLock { $0.popFirst() } }
    }

    /// Promotes the shadow tables and hands their offsets to the live projection, atomically.
    private func swap() async throws {
        let liveName = self.liveName
        let shadowName = self.shadowName
        let model = self.model
        try await pool.withTransaction { connection in
            guard try model.shadowCompletion(on: connection).isEmpty else {
                throw ShadowIncomplete(projection: liveName)
            }
            try model.promoteShadow(on: connection)
            try connection.execute("DELETE FROM projection_offsets WHERE projection = $1", [liveName])
            try connection.execute("UPDATE projection_offsets SET projection = $1 WHERE projection = $2", [liveName, shadowName])
            try connection.execute("DELETE FROM projection_log_epochs WHERE projection = $1", [liveName])
            try connection.execute("UPDATE projection_log_epochs SET projection = $1 WHERE projection = $2", [liveName, shadowName])
            // What the shadow parked stays parked in the tables it becomes.
            try ProjectionQuarantine.promote(shadowName, to: liveName, on: connection)
            try connection.execute("""
                UPDATE projection_rebuilds SET state = 'done', finished_at = now() WHERE projection = $1
                """, [liveName])
        }
    }
}

/// The shadow still lacks what `shadowCompletion` lists (its indexes), so it may not serve yet;
/// the rebuild step fails and is retried, completing it first.
struct ShadowIncomplete: Error, CustomStringConvertible {
    var projection: String
    var description: String { "the \(projection) rebuild's shadow tables are not complete" }
}
