import Foundation

/// Runs a program to completion (curl, node, python3, clientctl) and returns what it printed.
///
/// Output goes through temporary files, not pipes, so a chatty program cannot block on a full
/// pipe. The program is looked up on `PATH` unless `executable` is a path.
public enum ExternalProgram {
    public struct Result: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           timeout: TimeInterval = 60) throws -> Result {
        let directory = try ProjectPaths.scratchDirectory("program")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("stdout"), err = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw TestSupportError("\(executable) did not finish within \(timeout) s")
        }
        return Result(status: process.terminationStatus,
                      standardOutput: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      standardError: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
