import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A child process a test started: its output goes to a log file, and it is stopped when the
/// test process exits, so no server outlives the suite.
///
/// Tests use `signal(_:)` to simulate crashes (SIGKILL) and outages (SIGSTOP/SIGCONT).
public final class ManagedProcess: @unchecked Sendable {
    // @unchecked Sendable: `process` is set once in init and Foundation's Process is
    // thread-safe for the calls made here (terminate, processIdentifier, waitUntilExit).
    public let name: String
    public let logFile: URL
    private let process: Process

    /// Starts `executable` with `arguments` and `environment` added to this process's own.
    public init(name: String, executable: URL, arguments: [String], environment: [String: String] = [:],
                logDirectory: URL, currentDirectory: URL? = nil) throws {
        self.name = name
        self.logFile = logDirectory.appendingPathComponent("\(name).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        try process.run()
        self.process = process
        ManagedProcess.registry.add(self)
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// Sends a signal (SIGKILL to crash it, SIGSTOP/SIGCONT to freeze and thaw it).
    public func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Asks the process to stop: SIGCONT (it may be frozen), then SIGTERM.
    func askToStop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGCONT)
        process.terminate()
    }

    /// Asks the process to stop (SIGTERM) and waits up to `timeout`, then kills it.
    public func stop(timeout: TimeInterval = 10) {
        guard process.isRunning else {
            ManagedProcess.registry.remove(self)
            return
        }
        askToStop()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        ManagedProcess.registry.remove(self)
    }

    /// Waits for the process to exit and returns its status.
    public func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// The last `bytes` of its log, for failure messages.
    public func logTail(bytes: Int = 4000) -> String {
        guard let data = try? Data(contentsOf: logFile) else { return "" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }

    /// Every process still running, stopped at exit.
    private static let registry: Registry = {
        let registry = Registry()
        atexit { ManagedProcess.registry.stopAll() }
        return registry
    }()

    private final class Registry: Sendable {
        private let processes = Mutex<[ObjectIdentifier: ManagedProcess]>([:])
        func add(_ process: ManagedProcess) { processes.withLock { $0[ObjectIdentifier(process)] = process } }
        func remove(_ process: ManagedProcess) { _ = processes.withLock { $0.removeValue(forKey: ObjectIdentifier(process)) } }
        /// Asks every process to stop at once, then waits up to 5 s for them together and
        /// kills what is left (one by one, a stack of services still retrying a database that
        /// is gone took minutes to stop).
        func stopAll() {
            let all = processes.withLock { Array($0.values) }
            for process in all { process.askToStop() }
            let deadline = Date().addingTimeInterval(5)
            while all.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
            for process in all { process.stop(timeout: 0) }
        }
    }
}
