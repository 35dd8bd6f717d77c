import CRdKafka
import Errors

/// A failure reported by librdkafka or by this module's use of it.
///
/// `code` carries librdkafka's own error (its `rd_kafka_resp_err_t` name and number) and a
/// coarse `kind` callers can switch on. Descriptions never contain message keys, values or
/// header values, nor configuration values (which may be secrets): only names, topics,
/// partitions and librdkafka's error text.
public struct KafkaError: Error, Sendable, ClienteleErrorConvertible, CustomStringConvertible {
    /// librdkafka's error code and the kind of failure it stands for.
    public var code: Code
    /// What went wrong, for operators' logs.
    public var message: String
    /// Where it went wrong (topic, partition, property name…); never payloads or secrets.
    public var context: [String: String]

    public init(_ code: Code, _ message: String, context: [String: String] = [:]) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// A librdkafka error code (`rd_kafka_resp_err_t`) with its name and a kind.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// librdkafka's name for it, e.g. `_MSG_TIMED_OUT` or `TOPIC_ALREADY_EXISTS`.
        public var name: String
        /// The `rd_kafka_resp_err_t` value (negative: local to the client; positive: from the broker).
        public var number: Int32
        /// The coarse category, derived from the number.
        public var kind: Kind

        public init(name: String, number: Int32, kind: Kind) {
            self.name = name
            self.number = number
            self.kind = kind
        }

        public var description: String { "\(name)(\(number))" }
    }

    /// Coarse categories of failure, for deciding what to do next.
    public enum Kind: String, Sendable, Hashable {
        /// A deadline passed: message time-out, request time-out, flush time-out.
        case timedOut
        /// The broker cannot be reached or refused the connection.
        case transport
        /// The local producer queue is full.
        case queueFull
        /// The topic or partition does not exist.
        case unknownTopicOrPartition
        /// The thing to create exists already in a different shape.
        case conflict
        /// A configuration property is unknown or has a bad value.
        case configuration
        /// A call was made with arguments that cannot work.
        case invalidArgument
        /// The client is closed or being closed.
        case closed
        /// The client cannot go on (a fatal error, or the idempotent producer was fenced, which
        /// Tansu does after a message time-out); close it and build a new one.
        case fatal
        /// The consumer's position is outside the partition's log (auto.offset.reset=error).
        case offsetOutOfRange
        /// Anything else.
        case other
    }

    public var description: String {
        let where_ = context.isEmpty ? "" : " " + context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        return "KafkaError \(code): \(message)\(where_)"
    }

    /// The public face: a generic message by kind; librdkafka's detail goes to `internalDetail`.
    public var clienteleError: ClienteleError {
        let detail = description
        switch code.kind {
        case .timedOut:
            return ClienteleError(.unavailable, "The event log did not answer in time.", internalDetail: detail)
        case .transport, .closed, .fatal:
            return ClienteleError(.unavailable, "The event log is unavailable.", internalDetail: detail)
        case .queueFull:
            return ClienteleError(.resourceExhausted, "The event log is overloaded; retry later.", internalDetail: detail)
        case .unknownTopicOrPartition, .conflict, .configuration, .invalidArgument, .offsetOutOfRange, .other:
            return ClienteleError(.internal, "The event log failed.", internalDetail: detail)
        }
    }
}

extension KafkaError.Code {
    /// The code for a librdkafka error number.
    init(_ error: rd_kafka_resp_err_t) {
        self.number = error.rawValue
        self.name = rd_kafka_err2name(error).map { String(cString: $0) } ?? "ERR_\(error.rawValue)"
        self.kind = Self.kind(of: error)
    }

    private static func kind(of error: rd_kafka_resp_err_t) -> KafkaError.Kind {
        switch error {
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
             RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
            return .timedOut
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
             RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE,
             RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
            return .transport
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
            return .queueFull
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION,
             RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            return .unknownTopicOrPartition
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, RD_KAFKA_RESP_ERR__CONFLICT:
            return .conflict
        case RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR_INVALID_PARTITIONS,
             RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR, RD_KAFKA_RESP_ERR_INVALID_CONFIG,
             RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            return .invalidArgument
        case RD_KAFKA_RESP_ERR__DESTROY, RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            return .closed
        case RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR_PRODUCER_FENCED, RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH,
             RD_KAFKA_RESP_ERR__FENCED:
            return .fatal
        case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
            return .offsetOutOfRange
        default:
            return .other
        }
    }
}

extension KafkaError {
    /// An error for a librdkafka error number, with librdkafka's text as the message.
    init(_ error: rd_kafka_resp_err_t, context: [String: String] = [:]) {
        self.init(Code(error), String(cString: rd_kafka_err2str(error)), context: context)
    }

    /// An error for a librdkafka error number, with our own message.
    init(_ error: rd_kafka_resp_err_t, _ message: String, context: [String: String] = [:]) {
        self.init(Code(error), message, context: context)
    }

    /// Takes ownership of an `rd_kafka_error_t` (destroying it) and makes a KafkaError of it.
    init(consuming error: OpaquePointer, context: [String: String] = [:]) {
        let code = rd_kafka_error_code(error)
        let text = rd_kafka_error_string(error).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(code))
        let fatal = rd_kafka_error_is_fatal(error) != 0
        rd_kafka_error_destroy(error)
        self.init(Code(fatal ? RD_KAFKA_RESP_ERR__FATAL : code), text, context: context)
    }

    /// The client was closed before or during the call.
    static func closed(_ what: String) -> KafkaError {
        KafkaError(RD_KAFKA_RESP_ERR__DESTROY, "\(what) is closed")
    }
}
