import Postgres
import XCTest

final class MigrationTests: PostgresTestCase {
    private func migrations(table: String) -> [Migration] {
        [
            Migration(version: 1, name: "create", sql: "CREATE TABLE \(table) (id int PRIMARY KEY);"),
            Migration(version: 2, name: "add column", sql: """
                ALTER TABLE \(table) ADD COLUMN name text;
                INSERT INTO \(table) VALUES (1, 'seed');
                """),
            Migration(version: 3, name: "index", sql: "CREATE INDEX ON \(table) (name);"),
        ]
    }

    func testAppliesOnceAndIsIdempotent() async throws {
        let pool = try makePool(poolSize: 1)
        let runner = MigrationRunner(migrations: migrations(table: "once"), schemaTable: "once_migrations")
        let first = try await runner.apply(on: pool)
        XCTAssertEqual(first, [1, 2, 3])
        let second = try await runner.apply(on: pool)
        XCTAssertEqual(second, [])
        let seeded = try await pool.query("SELECT count(*) FROM once")[0].decode(0, as: Int.self)
        XCTAssertEqual(seeded, 1)
        let timeout = try await pool.query("SHOW statement_timeout")[0].decode(0, as: String.self)
        XCTAssertEqual(timeout, "30s", "the runner restores the connection's statement_timeout")
        let recorded = try await pool.query("SELECT version, name FROM once_migrations ORDER BY version")
        XCTAssertEqual(try recorded.map { try $0.decode(0, as: Int.self) }, [1, 2, 3])
        XCTAssertEqual(try recorded[1].decode("name", as: String.self), "add column")

        let extended = MigrationRunner(
            migrations: migrations(table: "once") + [Migration(version: 4, name: "more", sql: "ALTER TABLE once ADD COLUMN x int")],
            schemaTable: "once_migrations")
        let third = try await extended.apply(on: pool)
        XCTAssertEqual(third, [4])
    }

    func testConcurrentRunnersApplyEachMigrationExactlyOnce() async throws {
        let pools = try (0..<4).map { _ in try makePool(poolSize: 1) }
        let runner = MigrationRunner(migrations: migrations(table: "raced"), schemaTable: "raced_migrations")
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for pool in pools { group.addTask { try await runner.apply(on: pool) } }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        XCTAssertEqual(applied.sorted(), [1, 2, 3], "each version applied by exactly one runner")
        let seeded = try await pools[0].query("SELECT count(*) FROM raced")[0].decode(0, as: Int.self)
        XCTAssertEqual(seeded, 1)
    }

    func testChangedChecksumIsRefused() async throws {
        let pool = try makePool()
        var list = migrations(table: "edited")
        _ = try await MigrationRunner(migrations: Array(list.prefix(2)), schemaTable: "edited_migrations").apply(on: pool)
        list[1].sql += "\nINSERT INTO edited VALUES (2, 'sneaky');"
        let error = await expectPostgresError {
            try await MigrationRunner(migrations: list, schemaTable: "edited_migrations").apply(on: pool)
        }
        XCTAssertEqual(error?.code.kind, .migration)
        XCTAssertEqual(error?.context["version"], "2")
        let hasIndex = try await pool.query("SELECT count(*) FROM pg_indexes WHERE tablename = 'edited'")[0]
            .decode(0, as: Int.self)
        XCTAssertEqual(hasIndex, 1, "only the primary key: migration 3 was not applied")
    }

    func testFailingMigrationRollsBackAndIsNotRecorded() async throws {
        let pool = try makePool()
        let broken = [
            Migration(version: 1, name: "ok", sql: "CREATE TABLE fine (id int);"),
            Migration(version: 2, name: "broken", sql: "CREATE TABLE half (id int); SELECT * FROM missing_table;"),
        ]
        let error = await expectPostgresError {
            try await MigrationRunner(migrations: broken, schemaTable: "broken_migrations").apply(on: pool)
        }
        XCTAssertEqual(error?.code.kind, .migration)
        XCTAssertEqual(error?.context["version"], "2")
        let tables = try await pool.query(
            "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename IN ('fine', 'half')")
        XCTAssertEqual(try tables[0].decode(0, as: String.self), "fine")
        let recorded = try await pool.query("SELECT count(*) FROM broken_migrations")[0].decode(0, as: Int.self)
        XCTAssertEqual(recorded, 1)
    }

    func testRejectsBadSchemaTableName() async throws {
        let pool = try makePool()
        let error = await expectPostgresError {
            try await MigrationRunner(migrations: [], schemaTable: "x; DROP TABLE y").apply(on: pool)
        }
        XCTAssertEqual(error?.code.kind, .invalidArgument)
    }
}
