import Errors
import Postgres
import XCTest

final class ErrorRedactionTests: PostgresTestCase {
    private func assertClean(_ error: PostgresError?, of secrets: [String], file: StaticString = #filePath,
                             line: UInt = #line) {
        guard let error else { return XCTFail("no error", file: file, line: line) }
        let shown = [error.description, error.message, "\(error.context)", error.internalDetail ?? "",
                     error.clienteleError.description, error.clienteleError.message,
                     error.clienteleError.internalDetail ?? "", "\(error.clienteleError.context)"]
        for secret in secrets {
            for text in shown {
                XCTAssertFalse(text.contains(secret), "\"\(secret)\" leaked into: \(text)", file: file, line: line)
            }
        }
    }

    func testParameterValuesDoNotAppearInErrors() async throws {
        let pool = try makePool()
        let value = "secret-value-8842"
        let badInt = await expectPostgresError { try await pool.query("SELECT $1::int", [value]) }
        XCTAssertEqual(badInt?.sqlState, "22P02")
        assertClean(badInt, of: [value, "SELECT"])
        XCTAssertTrue(badInt?.internalDetail?.contains("invalid input syntax") ?? false,
                      "the server's message is kept for operators: \(badInt?.internalDetail ?? "")")

        let short = await expectPostgresError { try await pool.query("SELECT $1::uuid", ["xyz"]) }
        assertClean(short, of: ["\"xyz\""])

        try await pool.execute("CREATE TABLE secrets (email text UNIQUE)")
        try await pool.execute("INSERT INTO secrets VALUES ($1)", ["alice@example.com"])
        let duplicate = await expectPostgresError {
            try await pool.execute("INSERT INTO secrets VALUES ($1)", ["alice@example.com"])
        }
        XCTAssertEqual(duplicate?.sqlState, "23505")
        assertClean(duplicate, of: ["alice@example.com", "INSERT"])
    }

    func testPasswordAndConnectionStringDoNotAppearInErrors() async throws {
        let password = "hunter2-do-not-log"
        let base = try connectionString
        let connectionString = base.replacingOccurrences(of: "dbname=", with: "password=\(password) dbname=")
            + "_does_not_exist"
        var configuration = PostgresConfiguration(connectionString: connectionString)
        configuration.connectTimeout = .seconds(2)
        XCTAssertFalse(configuration.description.contains(password))
        let pool = PostgresPool(configuration: configuration)
        let error = await expectPostgresError { try await pool.query("SELECT 1") }
        await pool.close()
        XCTAssertEqual(error?.code.kind, .connection)
        XCTAssertEqual(error?.clienteleError.code, .unavailable)
        assertClean(error, of: [password, connectionString])

        let url = "postgresql://postgres:\(password)@127.0.0.1:1/none?connect_timeout=2"
        let urlPool = PostgresPool(configuration: PostgresConfiguration(connectionString: url))
        let urlError = await expectPostgresError { try await urlPool.query("SELECT 1") }
        await urlPool.close()
        assertClean(urlError, of: [password, url])
    }
}
