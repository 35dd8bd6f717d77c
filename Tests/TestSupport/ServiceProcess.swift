import Foundation
import HTTP

/// A Clientele service executable started by a test, on a port the system picked.
///
/// Started with `HTTP_PORT=0`; the port is read from the service's own "listening" log line,
/// so tests never race for fixed ports. Executables come from the build folder that
/// `swift build --build-tests` filled (`CLIENTELE_BIN_DIR` overrides).
public final class ServiceProcess: Sendable {
    public let name: String
    public let process: ManagedProcess
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The folder holding the built executables.
    public static var binDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["CLIENTELE_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return ProjectPaths.root.appendingPathComponent(".build/debug")
    }

    /// Starts `executable` (a product name such as `gateway`) and waits until it listens.
    public static func start(_ executable: String, environment: [String: String], logDirectory: URL,
                             timeout: TimeInterval = 60) throws -> ServiceProcess {
        var env = environment
        env["HTTP_PORT"] = env["HTTP_PORT"] ?? "0"
        env["LOG_LEVEL"] = env["LOG_LEVEL"] ?? "info"
        let process = try ManagedProcess(name: executable, executable: binDirectory.appendingPathComponent(executable),
                                         arguments: [], environment: env, logDirectory: logDirectory)
        var port: Int?
        do {
            try eventuallyBlocking("\(executable) listens:\n\(process.logTail())", timeout: .milliseconds(Int64(timeout * 1000))) {
                port = listeningPort(in: process.logFile)
                guard port == nil else { return true }
                guard process.isRunning else { throw TestSupportError("\(executable) exited before listening:\n\(process.logTail())") }
                return false
            }
        } catch {
            process.stop()
            throw error
        }
        return ServiceProcess(name: executable, process: process, port: port!)
    }

    private init(name: String, process: ManagedProcess, port: Int) {
        self.name = name
        self.process = process
        self.port = port
    }

    /// Polls /readyz until it answers 200.
    public func waitUntilReady(client: HTTPClient, timeout: Duration = .seconds(60)) async throws {
        var last = ""
        try await eventually("\(name) is ready (last answer: \(last))\n\(process.logTail())", timeout: timeout) {
            guard let response = try? await client.execute(HTTPClientRequest(method: .GET, url: baseURL + "/readyz")) else { return false }
            if response.status.code == 200 { return true }
            last = String(decoding: response.body, as: UTF8.self)
            return false
        }
    }

    /// The service's log lines, parsed as JSON objects.
    public func logLines() -> [[String: String]] {
        guard let data = try? Data(contentsOf: process.logFile) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String]
        }
    }

    private static func listeningPort(in logFile: URL) -> Int? {
        guard let data = try? Data(contentsOf: logFile) else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.contains("\"listening\"") {
            if let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String],
               let port = object["port"].flatMap(Int.init) {
                return port
            }
        }
        return nil
    }
}
