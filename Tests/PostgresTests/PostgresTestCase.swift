import Foundation
import Postgres
import Synchronization
import TestSupport
import XCTest

/// A test case with a database of its own on the shared test server.
///
/// Each subclass gets one fresh database, created on first use and reused by its tests.
class PostgresTestCase: XCTestCase {
    private static let databases = Databases()

    /// The connection string of this class's database.
    var connectionString: String {
        get throws { try Self.databases.connectionString(for: String(describing: type(of: self))) }
    }

    var server: PostgresServer {
        get throws { try PostgresServer.shared() }
    }

    /// A pool on this class's database; closed when the test ends.
    func makePool(poolSize: Int = 4, statementTimeout: Duration? = .seconds(30),
                  acquireTimeout: Duration = .seconds(10),
                  logger: PostgresPool.Logger? = nil) throws -> PostgresPool {
        var configuration = PostgresConfiguration(connectionString: try connectionString)
        configuration.poolSize = poolSize
        configuration.statementTimeout = statementTimeout
        configuration.acquireTimeout = acquireTimeout
        let pool = PostgresPool(configuration: configuration, logger: logger)
        addTeardownBlock { await pool.close() }
        return pool
    }

    /// Runs `body` and returns the PostgresError it throws; fails the test if it throws none.
    func expectPostgresError<T>(_ body: () async throws -> T, file: StaticString = #filePath,
                                line: UInt = #line) async -> PostgresError? {
        do {
            _ = try await body()
            XCTFail("expected a PostgresError", file: file, line: line)
        } catch let error as PostgresError {
            return error
        } catch {
            XCTFail("expected a PostgresError, got \(error)", file: file, line: line)
        }
        return nil
    }

    private final class Databases: Sendable {
        private let names = Mutex<[String: String]>([:])

        func connectionString(for testClass: String) throws -> String {
            try names.withLock { names in
                if let existing = names[testClass] { return existing }
                let created = try PostgresServer.shared().createDatabase(testClass)
                names[testClass] = created
                return created
            }
        }
    }
}
