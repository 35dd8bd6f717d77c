import CRdKafka
import Foundation

/// Creates topics and reads their partition counts.
///
/// Metadata requests never create topics (`allow.auto.create.topics=false`, and metadata is
/// asked for all topics rather than by name). Requests run on the client's own thread.
public final class KafkaAdmin: Sendable {
    private let handle: AdminHandle
    private let thread: KafkaClientThread

    /// Builds the admin client; throws a `.configuration` KafkaError for bad properties.
    public init(configuration: KafkaConfiguration) throws {
        let properties = configuration.merged(over: ["allow.auto.create.topics": "false"])
        handle = AdminHandle(try RdKafkaConf.client(RD_KAFKA_PRODUCER, properties: properties))
        thread = KafkaClientThread(name: "kafka-admin")
    }

    deinit {
        let handle = self.handle
        thread.submit { handle.destroy() }
        thread.stop()
    }

    /// Creates `name` with `partitions` partitions and topic `config` (e.g. `retention.ms=-1`).
    ///
    /// An existing topic with the same partition count is success (its config is not
    /// compared); one with a different count throws a `.conflict` KafkaError saying both
    /// counts. Fewer than one partition or replica throws `.invalidArgument` (Tansu would
    /// otherwise pick its default count). Throws `.timedOut` if the broker does not answer
    /// within `timeout`.
    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16 = 1,
                            config: [String: String] = [:], timeout: Duration) async throws {
        guard partitions >= 1, replicationFactor >= 1 else {
            throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, "a topic needs at least one partition and one replica",
                             context: ["topic": name, "partitions": String(partitions), "replicationFactor": String(replicationFactor)])
        }
        let handle = self.handle
        try await thread.run(closedError: .closed("admin client")) { () throws(KafkaError) in
            let error = try handle.createTopic(name, partitions: partitions, replicationFactor: replicationFactor,
                                               config: config, timeout: timeout)
            guard let error else { return }
            guard error.code.number == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue else { throw error }
            let existing = try handle.partitionCount(of: name, timeout: timeout)
            guard existing != partitions else { return }
            throw KafkaError(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS,
                             "topic exists with \(existing.map(String.init) ?? "an unknown number of") partitions, not the \(partitions) asked for",
                             context: ["topic": name, "partitions": existing.map(String.init) ?? "unknown",
                                       "requestedPartitions": String(partitions)])
        }
    }

    /// The number of partitions of `topic` from the broker's metadata, or `nil` if it does not exist.
    public func partitionCount(of topic: String, timeout: Duration) async throws -> Int32? {
        let handle = self.handle
        return try await thread.run(closedError: .closed("admin client")) { () throws(KafkaError) in
            try handle.partitionCount(of: topic, timeout: timeout)
        }
    }
}

/// The admin client's librdkafka handle; its methods block and run on the admin thread only.
final class AdminHandle: @unchecked Sendable {
    // @unchecked Sendable: the pointer is only used on the admin client's thread (every method
    // is called from a job on it), so calls never overlap, and destroy is the last job.
    private var pointer: OpaquePointer?

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    func destroy() {
        if let pointer { rd_kafka_destroy(pointer) }
        pointer = nil
    }

    private func live() throws(KafkaError) -> OpaquePointer {
        guard let pointer else { throw KafkaError.closed("admin client") }
        rd_kafka_poll(pointer, 0)  // serve (and drop) queued error and log events
        return pointer
    }

    /// Sends CreateTopics; returns the topic's error (nil on success), throws on request failure.
    func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16, config: [String: String],
                     timeout: Duration) throws(KafkaError) -> KafkaError? {
        let client = try live()
        let context = ["topic": name]
        var errstr = [CChar](repeating: 0, count: 512)
        guard let topic = rd_kafka_NewTopic_new(name, partitions, Int32(replicationFactor), &errstr, errstr.count) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, Self.text(errstr), context: context)
        }
        defer { rd_kafka_NewTopic_destroy(topic) }
        for (key, value) in config.sorted(by: { $0.key < $1.key }) {
            let error = rd_kafka_NewTopic_set_config(topic, key, value)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(error, context: context.merging(["config": key]) { $1 })
            }
        }
        let options = rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.milliseconds, &errstr, errstr.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.milliseconds, &errstr, errstr.count)
        let queue = rd_kafka_queue_new(client)
        defer { rd_kafka_queue_destroy(queue) }
        var topics: [OpaquePointer?] = [topic]
        rd_kafka_CreateTopics(client, &topics, 1, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeout.milliseconds + 1000) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, "no CreateTopics answer in time", context: context)
        }
        defer { rd_kafka_event_destroy(event) }
        let requestError = rd_kafka_event_error(event)
        guard requestError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError(KafkaError.Code(requestError), text, context: context)
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
              let results = rd_kafka_CreateTopics_result_topics(result, &count), count == 1, let topicResult = results[0] else {
            throw KafkaError(RD_KAFKA_RESP_ERR__BAD_MSG, "CreateTopics answer without a topic result", context: context)
        }
        let error = rd_kafka_topic_result_error(topicResult)
        guard error != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let text = rd_kafka_topic_result_error_string(topicResult).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(error))
        return KafkaError(KafkaError.Code(error), text, context: context)
    }

    /// Reads metadata for all topics (asking by name could create the topic) and finds `topic`.
    func partitionCount(of topic: String, timeout: Duration) throws(KafkaError) -> Int32? {
        let client = try live()
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(client, 1, nil, &metadata, timeout.milliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(error, context: ["topic": topic])
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let entry = metadata.pointee.topics[index]
            guard let name = entry.topic, String(cString: name) == topic else { continue }
            switch entry.err {
            case RD_KAFKA_RESP_ERR_NO_ERROR: return entry.partition_cnt
            case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART: return nil
            default: throw KafkaError(entry.err, context: ["topic": topic])
            }
        }
        return nil
    }

    private static func text(_ errstr: [CChar]) -> String {
        String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
