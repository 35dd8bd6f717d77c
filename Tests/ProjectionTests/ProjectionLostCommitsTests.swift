import ClientDomain
import Foundation
import Postgres
import Projection
import SearchReadModel
import TestSupport
import XCTest

/// A read model's database commits without waiting for its WAL flush, so a PostgreSQL crash
/// can lose the last batches a runner committed. The runner must apply them again, not go on
/// past them on the fresh connections the pool opens after the restart.
final class ProjectionLostCommitsTests: XCTestCase {
    func testBatchesTheDatabaseLostAreAppliedAgainAfterItRestarts() async throws {
        let fixture = try await ProjectionFixture.make()
        var script = EventScript()
        let tenant = UUID()
        let runner = fixture.runner()
        let kept = try (0..<5).map { try script.create(UUID(), tenant: tenant, ClientProfile(name: "Kept \($0)")) }
        try await fixture.catchUp(runner, to: try await fixture.produce(kept))
        let held = try await fixture.pool.withConnection { try ProjectionOffsets.load("search", on: $0) }
        let lostIds = (0..<5).map { _ in UUID() }
        let lost = try lostIds.enumerated().map { index, id in try script.create(id, tenant: tenant, ClientProfile(name: "Lost \(index)")) }
        try await fixture.catchUp(runner, to: try await fixture.produce(lost))

        // The crash: the second batch's commit is gone (its rows and its offsets), and so is
        // every connection the runner's pool had.
        try await fixture.pool.execute("DELETE FROM clients WHERE id = ANY($1::uuid[])", [PostgresArray(lostIds)])
        try await fixture.pool.execute("DELETE FROM projection_offsets WHERE projection = 'search'")
        for (partition, offset) in held {
            try await fixture.pool.execute("INSERT INTO projection_offsets (projection, partition, next_offset) VALUES ('search', $1, $2)",
                                           [partition, offset])
        }
        let outside = try PostgresConnection.connect(configuration: PostgresConfiguration(connectionString: fixture.databaseURL))
        _ = try outside.query("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        outside.close()

        // Writes go on; the runner, on new connections, must not step over the lost batch.
        let later = try (0..<5).map { try script.create(UUID(), tenant: tenant, ClientProfile(name: "Later \($0)")) }
        let ends = try await fixture.produce(later)
        try await eventually("the runner applied the later events", pausing: false) {
            if runner.checkpoint.hasReached(ends) { return true }
            _ = try? await runner.step()   // failures (the terminated connections) are retried, as `run()` does
            return false
        }
        await runner.close()
        let search = ClientSearch(pool: fixture.pool)
        for (index, id) in lostIds.enumerated() {
            let record = try await search.client(id: id, tenantId: tenant)
            XCTAssertEqual(record?.profile.name, "Lost \(index)", "a batch the database lost is applied again")
        }
        let count = try await fixture.pool.query("SELECT count(*)::bigint FROM clients")[0].decode(0, as: Int64.self)
        XCTAssertEqual(count, 15)
    }
}
