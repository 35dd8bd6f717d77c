import CRdKafka
import Foundation
import Synchronization

/// Where librdkafka's own log lines go.
///
/// By default librdkafka prints plain text to standard error, which breaks a service's
/// JSON-lines log. A service sets a handler once at start (before creating clients) and the
/// lines reach its structured logger instead. The handler is called on librdkafka's threads,
/// so it must be thread-safe and quick.
public enum KafkaLog {
    /// Receives one log line: its syslog level (0 emergency … 3 error, 4 warning, 6 info,
    /// 7 debug), librdkafka's facility (such as `FAIL`), and the message.
    public typealias Handler = @Sendable (_ level: Int32, _ facility: String, _ message: String) -> Void

    /// Routes every later-created client's log lines to `handler` (nil: standard error).
    public static func setHandler(_ handler: Handler?) {
        storedHandler.withLock { $0 = handler }
    }

    static func emit(level: Int32, facility: String, message: String) {
        if let handler = storedHandler.withLock({ $0 }) {
            handler(level, facility, message)
        } else {
            FileHandle.standardError.write(Data("%\(level)|\(facility)| \(message)\n".utf8))
        }
    }

    private static let storedHandler = Mutex<Handler?>(nil)
}

/// The C callback librdkafka calls for each log line; forwards to `KafkaLog`.
let kafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = { _, level, facility, message in
    KafkaLog.emit(level: level, facility: facility.map { String(cString: $0) } ?? "", message: message.map { String(cString: $0) } ?? "")
}
