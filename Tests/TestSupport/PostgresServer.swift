import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A private PostgreSQL server for one test process: a fresh cluster in a scratch directory,
/// on 127.0.0.1 and a free port, with its own unix-socket directory.
///
/// Authentication is `trust` for the superuser `postgres` (no password: the server listens
/// only on loopback and a private socket directory, and lives as long as the test process).
/// `fsync` and `synchronous_commit` are off for speed. Up to 500 connections: every test
/// stack's services keep their pools for the whole run (a run holds about 200 at its peak).
/// When the test runs as root, initdb and postgres run as the `postgres` OS user through
/// `runuser`, on directories that user owns.
/// The server is stopped (fast shutdown) when the test process exits.
public final class PostgresServer: Sendable {
    public let port: Int
    public let directory: URL
    public let dataDirectory: URL
    public let socketDirectory: URL
    private let process: Mutex<ManagedProcess?>
    private let databaseCounter = Mutex(0)

    private static let instance = Mutex<Result<PostgresServer, TestSupportError>?>(nil)

    /// The server shared by every test in this process, started on first use.
    public static func shared() throws -> PostgresServer {
        try instance.withLock { instance in
            if let instance { return try instance.get() }
            let result = Result { try PostgresServer() }.mapError { error in
                error as? TestSupportError ?? TestSupportError("\(error)")
            }
            instance = result
            if case .success = result {
                atexit {
                    guard let server = try? PostgresServer.instance.withLock({ $0 })?.get() else { return }
                    server.stop()
                    try? FileManager.default.removeItem(at: server.directory)
                }
            }
            return try result.get()
        }
    }

    /// Initializes a cluster and starts the server; throws with the log's tail when it fails.
    public init() throws {
        directory = try ProjectPaths.scratchDirectory("postgres")
        dataDirectory = directory.appendingPathComponent("data")
        socketDirectory = directory.appendingPathComponent("sockets")
        try FileManager.default.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        port = try FreePort.next()
        process = Mutex(nil)
        if Self.isRoot { try Self.run("/bin/chown", ["-R", "postgres:postgres", directory.path]) }
        try Self.run(Self.asServerUser(ProjectPaths.postgresBin.appendingPathComponent("initdb").path), [
            "-D", dataDirectory.path, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
            "--no-sync",
        ], logDirectory: directory, name: "initdb")
        try start()
    }

    /// A libpq connection string for `database` as the superuser, over TCP.
    public func connectionString(database: String = "postgres") -> String {
        "host=127.0.0.1 port=\(port) user=postgres dbname=\(database)"
    }

    /// Creates a fresh database named after `name` plus a unique suffix and returns its
    /// connection string, so each test class works in isolation.
    public func createDatabase(_ name: String) throws -> String {
        let number = databaseCounter.withLock { counter -> Int in
            counter += 1
            return counter
        }
        let cleaned = String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(40))
        let database = "\(cleaned)_\(getpid())_\(number)"
        let connection = try PostgresConnection.connect(configuration: PostgresConfiguration(
            connectionString: connectionString()))
        defer { connection.close() }
        try connection.executeScript("CREATE DATABASE \"\(database)\"")
        return connectionString(database: database)
    }

    /// Stops the server (fast shutdown: sessions are ended) and starts it again on the same
    /// port and data directory.
    public func restart() throws {
        stop()
        try start()
    }

    /// Stops the server with a fast shutdown and waits for it to exit.
    public func stop() {
        guard let running = process.withLock({ process -> ManagedProcess? in
            defer { process = nil }
            return process
        }) else { return }
        // SIGINT to the postmaster itself is a fast shutdown; runuser does not pass signals on.
        if let pidText = try? String(contentsOf: dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8),
           let pid = pidText.split(separator: "\n").first.flatMap({ Int32($0) }) {
            kill(pid, SIGINT)
        }
        let deadline = Date().addingTimeInterval(15)
        while running.isRunning && Date() < deadline { usleep(20_000) }
        running.stop(timeout: 5)
    }

    private func start() throws {
        let command = Self.asServerUser(ProjectPaths.postgresBin.appendingPathComponent("postgres").path)
        let launched = try ManagedProcess(
            name: "postgres-\(port)", executable: URL(fileURLWithPath: command[0]),
            arguments: Array(command.dropFirst()) + [
                "-D", dataDirectory.path, "-p", String(port), "-h", "127.0.0.1", "-k", socketDirectory.path,
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                "-c", "max_connections=500", "-c", "shared_buffers=64MB",
            ],
            logDirectory: directory)
        process.withLock { $0 = launched }
        var lastError = ""
        try eventuallyBlocking("postgres accepts connections (\(lastError)). Log tail:\n\(launched.logTail())") {
            guard launched.isRunning else {
                throw TestSupportError("postgres exited during start-up. Log tail:\n\(launched.logTail())")
            }
            do {
                var configuration = PostgresConfiguration(connectionString: connectionString())
                configuration.connectTimeout = .seconds(2)
                let connection = try PostgresConnection.connect(configuration: configuration)
                connection.close()
                return true
            } catch {
                lastError = "\(error) \((error as? PostgresError)?.internalDetail ?? "")"
                return false
            }
        }
    }

    private static var isRoot: Bool { geteuid() == 0 }

    /// The command line that runs `executable` as the server's OS user.
    private static func asServerUser(_ executable: String) -> [String] {
        isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] : [executable]
    }

    /// Runs a command to completion; throws with its output when it fails.
    private static func run(_ command: [String], _ arguments: [String], logDirectory: URL, name: String) throws {
        let process = try ManagedProcess(name: name, executable: URL(fileURLWithPath: command[0]),
                                         arguments: Array(command.dropFirst()) + arguments, logDirectory: logDirectory)
        let status = process.waitForExit()
        process.stop()
        guard status == 0 else {
            throw TestSupportError("\(name) failed with status \(status):\n\(process.logTail())")
        }
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
    }
}
