import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes structured log lines as JSON, one object per line, to standard output.
///
/// Each line has `ts` (ISO 8601 UTC), `level`, `service`, `msg`, the request id, correlation
/// id and trace id (`trace_id`) from `LogContext` when set, and the given metadata. Never log
/// secrets, passwords, tokens or personal data: metadata values are written as given. The
/// message and metadata are only built when the line's level is enabled, so debug lines on
/// hot paths cost nothing in production.
public struct Logger: Sendable {
    public let service: String
    public var level: LogLevel
    public var metadata: [String: String]
    private let sink: LogSink

    public init(service: String, level: LogLevel = .info, metadata: [String: String] = [:], sink: LogSink = .standardOutput) {
        self.service = service
        self.level = level
        self.metadata = metadata
        self.sink = sink
    }

    /// A logger whose lines all carry `metadata` in addition to this one's.
    public func with(_ metadata: [String: String]) -> Logger {
        var copy = self
        copy.metadata.merge(metadata) { _, new in new }
        return copy
    }

    /// Whether lines at `level` are written (to skip building what only debug lines need).
    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    public func debug(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.debug, message(), metadata())
    }

    public func info(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.info, message(), metadata())
    }

    public func warning(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.warning, message(), metadata())
    }

    public func error(_ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        log(.error, message(), metadata())
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: @autoclosure () -> [String: String] = [:]) {
        guard level >= self.level else { return }
        var line = "{\"ts\":\"\(Logger.timestamp())\",\"level\":\"\(level.name)\",\"service\":"
        line += JSONString.quote(service)
        line += ",\"msg\":" + JSONString.quote(message())
        if let requestId = LogContext.requestId { line += ",\"request_id\":" + JSONString.quote(requestId) }
        if let correlationId = LogContext.correlationId { line += ",\"correlation_id\":" + JSONString.quote(correlationId) }
        if let trace = LogContext.trace { line += ",\"trace_id\":" + JSONString.quote(trace.traceId) }
        let merged = self.metadata.merging(metadata()) { _, new in new }
        for key in merged.keys.sorted() {
            line += "," + JSONString.quote(key) + ":" + JSONString.quote(merged[key] ?? "")
        }
        line += "}\n"
        sink.write(line)
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int(now.tv_nsec / 1_000_000)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}

/// Where log lines go: standard output, or a closure (tests capture lines this way).
public struct LogSink: Sendable {
    private let writeLine: @Sendable (String) -> Void

    public init(_ writeLine: @escaping @Sendable (String) -> Void) {
        self.writeLine = writeLine
    }

    func write(_ line: String) { writeLine(line) }

    /// Standard output; each line is one write(2) under a lock, so lines never interleave.
    public static let standardOutput = LogSink { line in
        standardOutputLock.withLock { _ in
            var bytes = Array(line.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { buffer in
                    Glibc.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written <= 0 {
                    if written < 0 && errno == EINTR { continue }
                    return
                }
                offset += written
            }
            bytes.removeAll()
        }
    }
}

/// Held for each line written to standard output.
private let standardOutputLock = Mutex(())

/// JSON string quoting for log lines, without going through JSONEncoder.
enum JSONString {
    static func quote(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
