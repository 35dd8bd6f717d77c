import Foundation
import Kafka
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A Tansu broker (Kafka protocol, in-memory storage) that tests start on a free port.
///
/// `shared()` is one broker for the whole test process, started on first use; tests that
/// stop, pause or restart a broker take a private one from `start()`. Topics are not
/// auto-created usefully on Tansu, so tests create theirs with `createTopic`, each under a
/// unique name. The broker keeps its log in memory: `restart()` and `stop()` lose it.
public final class KafkaBroker: Sendable {
    public let port: Int
    public let logDirectory: URL
    /// The broker process running now, and how many were started.
    private let current: Mutex<(process: ManagedProcess, generation: Int)>

    /// `127.0.0.1:<port>`, for `bootstrap.servers`.
    public var bootstrapServers: String { "127.0.0.1:\(port)" }

    /// A client configuration for this broker, plus `properties`.
    public func configuration(_ properties: [String: String] = [:]) -> KafkaConfiguration {
        KafkaConfiguration(bootstrapServers: bootstrapServers, properties: properties)
    }

    /// The broker every test in this process may share (started once, on first call).
    public static func shared() throws -> KafkaBroker {
        try sharedBroker.get()
    }

    private static let sharedBroker: Result<KafkaBroker, any Error> = Result(catching: {
        let broker = try KafkaBroker.start()
        // Runs before ManagedProcess's own exit handler (registered earlier), which would wait
        // seconds for Tansu to act on SIGTERM.
        atexit { try? KafkaBroker.sharedBroker.get().stop() }
        return broker
    })

    /// A private broker, for tests that stop, pause or restart it. Stop it when done.
    public static func start() throws -> KafkaBroker {
        try checkLibrdkafka()
        let tansu = ProjectPaths.tansu
        guard FileManager.default.isExecutableFile(atPath: tansu.path) else {
            throw TestSupportError("no executable Tansu broker at \(tansu.path): run deploy/local/install-dependencies.sh or set CLIENTELE_TANSU")
        }
        let port = try FreePort.next()
        let logDirectory = try ProjectPaths.scratchDirectory("tansu")
        let process = try launch(port: port, logDirectory: logDirectory, generation: 1)
        return KafkaBroker(port: port, logDirectory: logDirectory, process: process)
    }

    private init(port: Int, logDirectory: URL, process: ManagedProcess) {
        self.port = port
        self.logDirectory = logDirectory
        self.current = Mutex((process, 1))
    }

    /// Fails unless the loaded librdkafka can talk to Tansu (2.0.2 cannot; 2.16 can).
    public static func checkLibrdkafka() throws {
        guard KafkaLibrary.versionNumber >= 0x0201_0000 else {
            throw TestSupportError("""
                librdkafka \(KafkaLibrary.version) is loaded, which cannot talk to the Tansu broker (2.1 or later needed). \
                Run the tests with LD_LIBRARY_PATH=$PWD/.local/lib (librdkafka 2.16 from deploy/local/install-dependencies.sh).
                """)
        }
    }

    private static func launch(port: Int, logDirectory: URL, generation: Int) throws -> ManagedProcess {
        let url = "tcp://127.0.0.1:\(port)"
        let process = try ManagedProcess(
            name: "tansu-\(port)-\(generation)", executable: ProjectPaths.tansu,
            arguments: ["broker", "--listener-url", url, "--advertised-listener-url", url,
                        "--storage-engine", "memory://tansu/"],
            logDirectory: logDirectory)
        do {
            try eventuallyBlocking("Tansu listens on \(port); log:\n\(process.logTail())", timeout: .seconds(15)) {
                if canConnect(port: port) { return true }
                guard process.isRunning else {
                    throw TestSupportError("Tansu exited (status \(process.waitForExit())) before listening on \(port); log:\n\(process.logTail())")
                }
                return false
            }
        } catch {
            process.stop()
            throw error
        }
        return process
    }

    private static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Creates `name` with `partitions` partitions (retention forever unless `config` says
    /// otherwise) through the admin API.
    public func createTopic(_ name: String, partitions: Int32, config: [String: String] = ["retention.ms": "-1"]) async throws {
        let admin = try KafkaAdmin(configuration: configuration())
        try await admin.createTopic(name, partitions: partitions, config: config, timeout: .seconds(10))
    }

    /// A topic name no other test uses: `<prefix>-<random>`.
    public static func uniqueTopic(_ prefix: String = "test") -> String {
        "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Freezes the broker (SIGSTOP): connections stay open but nothing is answered.
    public func pause() { current.withLock { $0.process }.signal(SIGSTOP) }

    /// Thaws a paused broker (SIGCONT).
    public func resume() { current.withLock { $0.process }.signal(SIGCONT) }

    /// Stops the broker and starts a new one on the same port; the log (all topics) is lost.
    public func restart() throws {
        let (old, generation) = current.withLock { current -> (ManagedProcess, Int) in
            current.generation += 1
            return (current.process, current.generation)
        }
        Self.kill(old)
        let new = try Self.launch(port: port, logDirectory: logDirectory, generation: generation)
        current.withLock { $0.process = new }
    }

    /// Stops the broker. It is killed outright: its log is in memory, there is nothing to
    /// save, and Tansu takes seconds to act on SIGTERM.
    public func stop() { Self.kill(current.withLock { $0.process }) }

    private static func kill(_ process: ManagedProcess) {
        process.signal(SIGKILL)
        process.stop(timeout: 5)
    }

    /// The end of the current broker process's log, for failure messages.
    public func logTail(bytes: Int = 4000) -> String { current.withLock { $0.process }.logTail(bytes: bytes) }
}
