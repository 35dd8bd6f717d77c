import Foundation
import HTTP
import Synchronization

/// The whole backend started for a test, the same way for every test that needs it:
/// PostgreSQL and the broker (shared per test process), then command-service,
/// search-projection, stats-projection, document-store and gateway on ports the system
/// picked, each with a fresh database and all on one fresh events topic.
///
/// Tests talk to `gateway.baseURL`; `commandDatabase` and `gatewayDatabase` let them look
/// behind it (count events, issue keys with `clientctl`). Tests that pause or restart the
/// broker ask for a private one (`privateBroker: true`), stopped with the stack; tests that
/// crash the command service or the search projection start it again with
/// `restartCommandService()` or `restartSearchProjection()`.
public final class ClienteleStack: Sendable {
    public let postgres: PostgresServer
    public let broker: KafkaBroker
    public let logDirectory: URL
    public let topic: String
    public let internalToken: String
    /// The gateway's `JWT_KEYS` (one key, `test1`, unless the test overrode it).
    public let jwtKeys: String
    public let commandDatabase: String
    public let searchDatabase: String
    public let gatewayDatabase: String
    public let statsDatabase: String
    public var commandService: ServiceProcess { commandServiceSlot.withLock { $0 } }
    private let commandServiceSlot: Mutex<ServiceProcess>
    private let commandEnvironment: [String: String]
    private let ownsBroker: Bool
    public var searchProjection: ServiceProcess { searchProjectionSlot.withLock { $0 } }
    private let searchProjectionSlot: Mutex<ServiceProcess>
    private let searchEnvironment: [String: String]
    public let statsProjection: ServiceProcess
    public var documentStore: ServiceProcess { documentStoreSlot.withLock { $0 } }
    private let documentStoreSlot: Mutex<ServiceProcess>
    private let documentEnvironment: [String: String]
    /// The document store's `DOCUMENT_DIRECTORY` and database.
    public let documentDirectory: URL
    public let documentDatabase: String
    public let gateway: ServiceProcess

    public var services: [ServiceProcess] { [commandService, searchProjection, statsProjection, documentStore, gateway] }

    /// Starts everything and waits until every service reports ready.
    ///
    /// `gatewayEnvironment` adds to or overrides the gateway's variables (for example a short
    /// `READ_YOUR_WRITES_TIMEOUT_MS`), `commandEnvironment` the command service's (for example
    /// `KAFKA_MESSAGE_TIMEOUT_MS`), `searchEnvironment` the search projection's (for example
    /// `LOG_LEVEL`), `documentEnvironment` the document store's (for example its caps or sweep
    /// grace). `privateBroker` gives the stack a broker of its own, which the test may
    /// pause or restart without disturbing other tests.
    public static func start(_ name: String, gatewayEnvironment: [String: String] = [:],
                             commandEnvironment: [String: String] = [:], searchEnvironment: [String: String] = [:],
                             documentEnvironment: [String: String] = [:],
                             privateBroker: Bool = false) async throws -> ClienteleStack {
        let stack = try ClienteleStack(name: name, gatewayEnvironment: gatewayEnvironment,
                                       commandEnvironment: commandEnvironment, searchEnvironment: searchEnvironment,
                                       documentEnvironment: documentEnvironment, privateBroker: privateBroker)
        let client = HTTPClient(configuration: HTTPClientConfiguration())
        defer { client.shutdown() }
        for service in stack.services { try await service.waitUntilReady(client: client) }
        return stack
    }

    private init(name: String, gatewayEnvironment: [String: String], commandEnvironment: [String: String],
                 searchEnvironment: [String: String], documentEnvironment: [String: String], privateBroker: Bool) throws {
        postgres = try PostgresServer.shared()
        broker = privateBroker ? try KafkaBroker.start() : try KafkaBroker.shared()
        ownsBroker = privateBroker
        logDirectory = try ProjectPaths.scratchDirectory(name)
        topic = KafkaBroker.uniqueTopic(name)
        internalToken = "test-internal-token-\(UUID().uuidString)"
        let keys = gatewayEnvironment["JWT_KEYS"] ?? "test1:" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        jwtKeys = keys
        commandDatabase = try postgres.createDatabase("\(name)_commands")
        searchDatabase = try postgres.createDatabase("\(name)_search")
        gatewayDatabase = try postgres.createDatabase("\(name)_gateway")
        let kafka = ["KAFKA_BOOTSTRAP_SERVERS": broker.bootstrapServers, "EVENTS_TOPIC": topic, "EVENTS_TOPIC_PARTITIONS": "4",
                     "INTERNAL_TOKEN": internalToken]
        self.commandEnvironment = kafka.merging(["DATABASE_URL": commandDatabase, "DATA_MASTER_KEY": Self.newDataMasterKey()]) { $1 }
            .merging(commandEnvironment) { $1 }
        let commandService = try ServiceProcess.start("command-service", environment: self.commandEnvironment, logDirectory: logDirectory)
        commandServiceSlot = Mutex(commandService)
        let keySource = ["COMMAND_SERVICE_URL": commandService.baseURL]
        self.searchEnvironment = kafka.merging(["DATABASE_URL": searchDatabase]) { $1 }.merging(keySource) { $1 }
            .merging(searchEnvironment) { $1 }
        let searchProjection = try ServiceProcess.start("search-projection", environment: self.searchEnvironment,
                                                        logDirectory: logDirectory)
        searchProjectionSlot = Mutex(searchProjection)
        statsDatabase = try postgres.createDatabase("\(name)_stats")
        statsProjection = try ServiceProcess.start("stats-projection",
                                                   environment: kafka.merging(["DATABASE_URL": statsDatabase]) { $1 }
                                                       .merging(keySource) { $1 },
                                                   logDirectory: logDirectory)
        documentDirectory = logDirectory.appendingPathComponent("documents")
        documentDatabase = try postgres.createDatabase("\(name)_documents")
        self.documentEnvironment = [
            "DATABASE_URL": documentDatabase,
            "DOCUMENT_DIRECTORY": documentDirectory.path, "INTERNAL_TOKEN": internalToken,
            "COMMAND_SERVICE_URL": commandService.baseURL,
        ].merging(documentEnvironment) { $1 }
        let documentStore = try ServiceProcess.start("document-store", environment: self.documentEnvironment, logDirectory: logDirectory)
        documentStoreSlot = Mutex(documentStore)
        gateway = try ServiceProcess.start("gateway", environment: [
            "COMMAND_SERVICE_URL": commandService.baseURL, "SEARCH_SERVICE_URL": searchProjection.baseURL,
            "STATS_SERVICE_URL": statsProjection.baseURL, "DOCUMENT_SERVICE_URL": documentStore.baseURL,
            "DATABASE_URL": gatewayDatabase, "INTERNAL_TOKEN": internalToken,
            "JWT_KEYS": keys, "SESSION_COOKIE_SECURE": "false",
        ].merging(gatewayEnvironment) { $1 }, logDirectory: logDirectory)
    }

    /// A fresh `DATA_MASTER_KEY` (base64 of 32 random bytes), as every command service a
    /// test starts needs one.
    public static func newDataMasterKey() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    /// Runs `clientctl` against the gateway's database (with `environment` added); throws with
    /// its output if it fails.
    @discardableResult
    public func clientctl(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try ExternalProgram.run(ServiceProcess.binDirectory.appendingPathComponent("clientctl").path, arguments,
                                             environment: environment.merging(["DATABASE_URL": gatewayDatabase]) { $1 })
        guard result.status == 0 else {
            throw TestSupportError("clientctl \(arguments.joined(separator: " ")) exited \(result.status): \(result.standardError)")
        }
        return result.standardOutput
    }

    /// Creates a company with `clientctl` and issues it a key; returns the company id, the key
    /// id and the secret.
    public func createCompanyWithKey(_ companyName: String, permissions: String? = nil) throws
        -> (companyId: String, keyId: String, secret: String) {
        let company = try clientctl(["company", "create", companyName])
        guard let companyId = company.split(separator: " ").dropFirst().first.map(String.init) else {
            throw TestSupportError("unexpected clientctl output: \(company)")
        }
        var arguments = ["api-key", "issue", "--company", companyName]
        if let permissions { arguments += ["--permissions", permissions] }
        let issued = try clientctl(arguments)
        let lines = issued.split(separator: "\n")
        guard lines.count == 2, let keyId = lines[0].split(separator: " ").dropFirst(2).first,
              let secret = lines[1].split(separator: " ").last, secret.hasPrefix("ba_") else {
            throw TestSupportError("unexpected clientctl output: \(issued)")
        }
        return (companyId, String(keyId), String(secret))
    }

    /// Starts the command service again (after a test killed it) with the same environment on
    /// the same port, so the gateway reaches it where it was, and waits until it is ready.
    /// Stops the old process first if it is still running.
    @discardableResult
    public func restartCommandService() async throws -> ServiceProcess {
        let new = try await restart(commandService, environment: commandEnvironment)
        commandServiceSlot.withLock { $0 = new }
        return new
    }

    /// Starts the search projection again (after a test killed it), as `restartCommandService()` does.
    @discardableResult
    public func restartSearchProjection() async throws -> ServiceProcess {
        let new = try await restart(searchProjection, environment: searchEnvironment)
        searchProjectionSlot.withLock { $0 = new }
        return new
    }

    /// Starts the document store again (after a test killed it), as `restartCommandService()`
    /// does; `environment` adds to or overrides its variables for the new process.
    @discardableResult
    public func restartDocumentStore(environment: [String: String] = [:]) async throws -> ServiceProcess {
        let new = try await restart(documentStore, environment: documentEnvironment.merging(environment) { $1 })
        documentStoreSlot.withLock { $0 = new }
        return new
    }

    private func restart(_ old: ServiceProcess, environment: [String: String]) async throws -> ServiceProcess {
        old.process.stop()
        // Its own folder, so the crashed process's log is kept beside the new one.
        let restartLogs = logDirectory.appendingPathComponent("\(old.name)-restart-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: restartLogs, withIntermediateDirectories: true)
        let new = try ServiceProcess.start(old.name, environment: environment.merging(["HTTP_PORT": "\(old.port)"]) { $1 },
                                           logDirectory: restartLogs)
        let client = HTTPClient(configuration: HTTPClientConfiguration())
        defer { client.shutdown() }
        try await new.waitUntilReady(client: client)
        return new
    }

    /// Stops every service (gateway first), and the broker if it is the stack's own.
    public func stop() {
        for service in services.reversed() { service.process.stop() }
        if ownsBroker { broker.stop() }
    }
}
