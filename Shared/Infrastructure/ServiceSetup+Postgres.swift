import Postgres
import ServiceRuntime

extension ServiceSetup {
    /// Opens this service's PostgreSQL pool from `DATABASE_URL`, applies its migrations, and
    /// wires the pool into readiness, metrics and shutdown.
    ///
    /// Variables: `DATABASE_URL` (required; a libpq URL such as
    /// `postgresql://user:password@host:5432/db`), `DATABASE_POOL_SIZE` (10),
    /// `DATABASE_STATEMENT_TIMEOUT_MS` (30000; 0 disables). PostgreSQL may still be starting
    /// (containers start together): the first connection is retried for
    /// `DATABASE_STARTUP_WAIT_MS` (60000) before the service gives up.
    ///
    /// `rebuildable` says that everything this service writes can be rebuilt from the events
    /// log (a projection's read model, its offsets in the same transactions): its commits then
    /// do not wait for the WAL flush (`PostgresConfiguration.synchronousCommit`), which takes
    /// a disk flush off every batch's path to visibility. `DATABASE_SYNCHRONOUS_COMMIT`
    /// (`on`/`off`) overrides the choice either way.
    public mutating func openPostgres(migrations: [Migration], rebuildable: Bool = false) async throws -> PostgresPool {
        let url = try environment.requiredString("DATABASE_URL")
        var configuration = PostgresConfiguration(connectionString: url)
        configuration.poolSize = try environment.int("DATABASE_POOL_SIZE", default: 10, in: 1...500)
        let timeout = try environment.milliseconds("DATABASE_STATEMENT_TIMEOUT_MS", default: .seconds(30), in: 0...3_600_000)
        configuration.statementTimeout = timeout == .zero ? nil : timeout
        configuration.applicationName = name
        configuration.synchronousCommit = try environment.bool("DATABASE_SYNCHRONOUS_COMMIT", default: !rebuildable)
        let startupWait = try environment.milliseconds("DATABASE_STARTUP_WAIT_MS", default: .seconds(60), in: 0...3_600_000)

        let pool = PostgresPool(configuration: configuration) { [logger] message in logger.warning(message) }
        let deadline = ContinuousClock.now + startupWait
        while true {
            do {
                let applied = try await MigrationRunner(migrations: migrations).apply(on: pool)
                if !applied.isEmpty { logger.info("migrations applied", ["versions": applied.map(String.init).joined(separator: ",")]) }
                break
            } catch let error as PostgresError where error.code.kind == .connection && ContinuousClock.now < deadline {
                logger.warning("waiting for PostgreSQL", ["error": String(describing: error)])
                try await Task.sleep(for: .seconds(1))
            }
        }

        readiness.add("postgres") { _ = try await pool.query("SELECT 1") }
        metrics.collector("clientele_db_pool_connections", help: "PostgreSQL pool connections: in_use (lent out) or idle.") {
            let stats = pool.statistics
            return [(["state": "in_use"], Double(stats.inUse)), (["state": "idle"], Double(stats.idle))]
        }
        metrics.collector("clientele_db_pool_waiting", help: "Callers waiting for a PostgreSQL pool connection.") {
            [([:], Double(pool.statistics.waiting))]
        }
        metrics.collector("clientele_db_pool_max_connections", help: "The PostgreSQL pool's size (DATABASE_POOL_SIZE).") {
            [([:], Double(pool.statistics.size))]
        }
        shutdownHooks.append { await pool.close() }
        return pool
    }
}
