import CRdKafka
import Foundation
import Synchronization

/// A consumer of manually assigned partitions, reading from offsets the application keeps.
///
/// No consumer group: the application stores, next to its read model, the offset after the
/// last record it applied, and passes it to `assign` on start. librdkafka never commits or
/// stores offsets (`enable.auto.commit=false`, `enable.auto.offset.store=false`); `group.id`
/// is set to a fixed dummy only because librdkafka's assign needs one.
///
/// Other defaults (overridable): `enable.partition.eof=true`, `allow.auto.create.topics=false`,
/// and `auto.offset.reset=error`: an assigned offset outside the log (for example after the
/// in-memory broker restarted and forgot the log) makes `poll` throw a `.offsetOutOfRange`
/// KafkaError instead of silently starting elsewhere; the application decides (seek or rebuild).
/// Tansu answers a fetch past the end of the log with nothing rather than an error, so the
/// consumer also checks itself: when a poll finds nothing and a partition's next offset has
/// been past the high watermark of the broker's latest fetch answers for a few seconds after
/// its assign or seek, `poll` throws the same `.offsetOutOfRange` error.
///
/// Polling, seeking and closing run on the consumer's own thread.
public final class KafkaConsumer: Sendable {
    /// The `group.id` set when the configuration has none. No group is ever joined.
    public static let unusedGroupID = "clientele-manual-assignment"

    private let state: ConsumerState
    private let thread: KafkaClientThread

    /// Builds the consumer; throws a `.configuration` KafkaError for bad properties.
    public init(configuration: KafkaConfiguration) throws {
        let properties = configuration.merged(over: [
            "group.id": Self.unusedGroupID,
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "enable.partition.eof": "true",
            "auto.offset.reset": "error",
            "allow.auto.create.topics": "false",
        ])
        let state = ConsumerState()
        let opaque = Unmanaged.passUnretained(state).toOpaque()
        let handle = try RdKafkaConf.client(RD_KAFKA_CONSUMER, properties: properties) { conf in
            rd_kafka_conf_set_opaque(conf, opaque)
            // Transient errors (broker down, ...) are retried by librdkafka; only a fatal one
            // is kept, and thrown by the next poll. Without this callback they would come
            // out of rd_kafka_consumer_poll as errors.
            rd_kafka_conf_set_error_cb(conf) { handle, error, _, opaque in
                guard error == RD_KAFKA_RESP_ERR__FATAL.rawValue, let opaque else { return }
                var text = [CChar](repeating: 0, count: 512)
                let original = rd_kafka_fatal_error(handle, &text, text.count)
                let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                Unmanaged<ConsumerState>.fromOpaque(opaque).takeUnretainedValue()
                    .keep(KafkaError(KafkaError.Code(name: "_FATAL", number: RD_KAFKA_RESP_ERR__FATAL.rawValue, kind: .fatal),
                                     "fatal consumer error \(KafkaError.Code(original)): \(message)"))
            }
        }
        rd_kafka_poll_set_consumer(handle)
        state.handle = handle
        self.state = state
        self.thread = KafkaClientThread(name: "kafka-consumer")
    }

    deinit {
        if state.beginClosing() {
            let state = self.state
            thread.submit { state.shutDown() }
        }
        thread.stop()
    }

    /// Replaces the assignment with these partitions, each starting at the given offset.
    ///
    /// Offsets are absolute, or logical: -2 the beginning of the partition, -1 its end (the
    /// end comes from ListOffsets, which Tansu answers wrongly; prefer an offset you stored).
    /// An empty array unassigns everything.
    public func assign(_ assignments: [(KafkaTopicPartition, offset: Int64)]) throws {
        try state.withLiveHandle("consumer") { handle throws(KafkaError) in
            let list = Self.partitionList(assignments)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let error = rd_kafka_assign(handle, list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error) }
        }
        state.track(assignments, replacing: true)
    }

    /// Moves an assigned partition's position to `offset` (absolute, or -2 beginning / -1 end).
    ///
    /// Takes effect before the next `poll` returns: records already fetched from the old
    /// position are dropped. The seek itself runs on the consumer's thread; if it fails the
    /// next `poll` throws the error.
    public func seek(_ partition: KafkaTopicPartition, offset: Int64) throws {
        let state = self.state
        try state.withLiveHandle("consumer") { _ throws(KafkaError) in }
        state.track([(partition, offset: offset)], replacing: false)
        let queued = thread.submit {
            state.seek(partition, offset: offset)
        }
        if !queued { throw KafkaError.closed("consumer") }
    }

    /// Returns up to `maxEvents` events, waiting up to `timeout` for the first one.
    ///
    /// Returns as soon as at least one event is available (it does not wait to fill the batch),
    /// or an empty array after `timeout`. Throws a KafkaError for a consumer or partition error
    /// (e.g. `.offsetOutOfRange`, `.unknownTopicOrPartition`); events read before the error
    /// are returned first and the error is thrown by the next call. Not cancellable.
    public func poll(maxEvents: Int, timeout: Duration) async throws -> [KafkaConsumerEvent] {
        let state = self.state
        return try await thread.run(closedError: .closed("consumer")) { () throws(KafkaError) in
            try state.poll(maxEvents: max(1, maxEvents), timeout: timeout)
        }
    }

    /// The low and high watermarks (first offset, and offset after the last record) of
    /// `partition` as the broker's latest fetch answer for it reported them; nil before any
    /// fetch for it has answered, and after `close`.
    ///
    /// Reads librdkafka's cache (`rd_kafka_get_watermark_offsets`): no request is sent, so it
    /// is cheap enough to call after every poll. It is as fresh as the last fetch, which the
    /// consumer repeats while assigned, so the lag it gives is current within a fetch's wait.
    /// Unlike a ListOffsets query (`rd_kafka_query_watermark_offsets`), it is right on Tansu.
    public func cachedWatermarks(_ partition: KafkaTopicPartition) -> (low: Int64, high: Int64)? {
        state.cachedWatermarks(partition)
    }

    /// Leaves the assignment and destroys the client. Idempotent; later calls throw `.closed`.
    ///
    /// Runs after a `poll` already in progress, so it can wait for that poll's timeout.
    public func close() async {
        let state = self.state
        if state.beginClosing() {
            _ = try? await thread.run(closedError: .closed("consumer")) { state.shutDown() }
            thread.stop()
        } else {
            _ = try? await thread.run(closedError: .closed("consumer")) {}
        }
    }

    static func partitionList(_ assignments: [(KafkaTopicPartition, offset: Int64)]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: assignments.count))!
        for (partition, offset) in assignments {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition).pointee.offset = offset
        }
        return list
    }
}

/// The consumer's librdkafka handle and the error kept for the next poll.
final class ConsumerState: @unchecked Sendable {
    // @unchecked Sendable: `handle`, a pointer, is written once before the consumer is
    // shared; everything else is in `state`'s Mutex. Calls from callers' threads (assign)
    // hold the Mutex and check `destroyed`, which is set holding it before the handle is
    // destroyed; poll, seek and shutDown run only on the consumer's thread.
    var handle: OpaquePointer!

    private struct State {
        var closing = false
        var destroyed = false
        var pendingError: KafkaError?
        /// Each assigned partition's next offset, when known (absolute), and since when it was
        /// set by assign or seek (records and EOFs move it on without resetting the time).
        var positions: [KafkaTopicPartition: (next: Int64, since: ContinuousClock.Instant)] = [:]
    }

    private let state = Mutex(State())

    /// How long after an assign or seek a next offset past the cached high watermark is taken
    /// as past the end of the log: long enough for fetches (every fetch.wait.max.ms, 500 ms by
    /// default) to have refreshed the watermark.
    static let endOfLogGrace: Duration = .seconds(3)

    /// Notes where assigned partitions start (logical offsets: unknown until the first event).
    func track(_ assignments: [(KafkaTopicPartition, offset: Int64)], replacing: Bool) {
        let now = ContinuousClock.now
        state.withLock { state in
            if replacing { state.positions.removeAll() }
            for (partition, offset) in assignments {
                state.positions[partition] = offset >= 0 ? (offset, now) : nil
            }
        }
    }

    private func advance(_ partition: KafkaTopicPartition, to next: Int64) {
        state.withLock { state in
            if let since = state.positions[partition]?.since {
                state.positions[partition] = (next, since)
            } else {
                state.positions[partition] = (next, .now - Self.endOfLogGrace)
            }
        }
    }

    /// A partition whose next offset lies past the end of its log (see KafkaConsumer's doc).
    private func partitionPastEndOfLog() -> KafkaError? {
        let now = ContinuousClock.now
        let candidates = state.withLock { $0.positions.filter { now - $0.value.since >= Self.endOfLogGrace } }
        for (partition, position) in candidates {
            var low: Int64 = -1
            var high: Int64 = -1
            let error = rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0, position.next > high else { continue }
            return KafkaError(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE,
                              "the next offset is past the end of the partition's log (did the broker lose it?)",
                              context: ["topic": partition.topic, "partition": String(partition.partition),
                                        "offset": String(position.next), "endOffset": String(high)])
        }
        return nil
    }

    /// The cached watermarks of `partition`, unless the handle is closing or gone.
    func cachedWatermarks(_ partition: KafkaTopicPartition) -> (low: Int64, high: Int64)? {
        state.withLock { state in
            guard !state.closing, !state.destroyed else { return nil }
            var low: Int64 = -1
            var high: Int64 = -1
            let error = rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
            return (max(low, 0), high)
        }
    }

    /// Keeps an error for the next poll to throw (the first one wins).
    func keep(_ error: KafkaError) {
        state.withLock { if $0.pendingError == nil { $0.pendingError = error } }
    }

    func beginClosing() -> Bool {
        state.withLock { state in
            if state.closing { return false }
            state.closing = true
            return true
        }
    }

    func withLiveHandle(_ what: String, _ body: (OpaquePointer) throws(KafkaError) -> Void) throws(KafkaError) {
        try state.withLock { state throws(KafkaError) in
            guard !state.closing, !state.destroyed else { throw KafkaError.closed(what) }
            try body(handle)
        }
    }

    /// Runs on the consumer's thread.
    func seek(_ partition: KafkaTopicPartition, offset: Int64) {
        guard state.withLock({ !$0.closing }) else { return }
        let list = KafkaConsumer.partitionList([(partition, offset)])
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let context = ["topic": partition.topic, "partition": String(partition.partition)]
        if let error = rd_kafka_seek_partitions(handle, list, 10_000) {
            keep(KafkaError(consuming: error, context: context))
        } else if list.pointee.elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR {
            keep(KafkaError(list.pointee.elems[0].err, context: context))
        }
    }

    /// Runs on the consumer's thread.
    func poll(maxEvents: Int, timeout: Duration) throws(KafkaError) -> [KafkaConsumerEvent] {
        let (isClosing, pending) = state.withLock { state in
            defer { state.pendingError = nil }
            return (state.closing, state.pendingError)
        }
        if isClosing { throw KafkaError.closed("consumer") }
        if let pending { throw pending }
        var events: [KafkaConsumerEvent] = []
        events.reserveCapacity(min(maxEvents, 1024))
        while events.count < maxEvents {
            guard let message = rd_kafka_consumer_poll(handle, events.isEmpty ? timeout.milliseconds : 0) else { break }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            let topic = m.rkt.flatMap { rd_kafka_topic_name($0) }.map { String(cString: $0) } ?? ""
            switch m.err {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                let record = Self.record(message, topic: topic)
                advance(record.topicPartition, to: record.offset + 1)
                events.append(.record(record))
            case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                let partition = KafkaTopicPartition(topic: topic, partition: m.partition)
                advance(partition, to: m.offset)
                events.append(.partitionEOF(partition, nextOffset: m.offset))
            default:
                var context: [String: String] = [:]
                if !topic.isEmpty {
                    context = ["topic": topic, "partition": String(m.partition), "offset": String(m.offset)]
                }
                let text = rd_kafka_message_errstr(message).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(m.err))
                let error = KafkaError(KafkaError.Code(m.err), text, context: context)
                if events.isEmpty { throw error }
                keep(error)
                return events
            }
        }
        if events.isEmpty, let error = partitionPastEndOfLog() { throw error }
        return events
    }

    private static func record(_ message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> KafkaRecord {
        let m = message.pointee
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        var headers: [KafkaHeader] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "",
                                           value: bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                index += 1
            }
        }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let milliseconds = rd_kafka_message_timestamp(message, &type)
        let timestamp = milliseconds >= 0 ? Date(timeIntervalSince1970: Double(milliseconds) / 1000) : nil
        return KafkaRecord(topic: topic, partition: m.partition, offset: m.offset, key: key, value: value,
                           headers: headers, timestamp: timestamp)
    }

    /// Closes the consumer and destroys the handle. Runs on the consumer's thread.
    func shutDown() {
        guard state.withLock({ !$0.destroyed }) else { return }
        _ = rd_kafka_consumer_close(handle)
        state.withLock { $0.destroyed = true }
        rd_kafka_destroy(handle)
    }
}
